package dev.qwm.quant.bench;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.qwm.onnx.graph.GraphIndex;
import dev.qwm.onnx.graph.LinearLayer;
import dev.qwm.onnx.graph.Nodes;
import dev.qwm.onnx.graph.OnnxModels;
import dev.qwm.onnx.graph.OptimizedGraphs;
import dev.qwm.onnx.graph.TensorData;
import dev.qwm.onnx.graph.ValueInfos;
import dev.qwm.onnx.runtime.OnnxSession;
import dev.qwm.onnx.runtime.OrtRuntime;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.quant.core.ActivationParams;
import dev.qwm.quant.core.ErrorMetrics;
import dev.qwm.quant.core.QuantizedWeights;
import dev.qwm.onnx.runtime.CpuFeatures;
import dev.qwm.quant.emit.EmitOptions;
import dev.qwm.quant.emit.OnnxEmitter;
import dev.qwm.quant.emit.QuantizedLayer;
import dev.qwm.quant.recipe.ActivationSpec;
import dev.qwm.quant.recipe.WeightSpec;
import dev.qwm.quant.weights.RtnQuantizer;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;

/**
 * fp32 against int8 and 4-bit matrix products in ONNX Runtime, side by side in one run, on the graphs the quantizer
 * emits (one linear layer Y = X·W, K inputs, N outputs, M rows), next to this CPU's vector features. Which int8 path
 * is fast and exact depends on them: without VNNI, u8×s8 saturates and MatMulNBits' int8 path is no faster.
 *
 * <pre>java -cp ... dev.qwm.quant.bench.MatMulKernelBenchmark [--m 16,256,2048] [--k 1024] [--n 1024] [--reps 20] [--threads 1]</pre>
 */
public final class MatMulKernelBenchmark {

    /** One emitted variant: how it is written, what ORT runs, its time and error. */
    /**
     * @param ms          median wall time of one run
     * @param cpuMs       least CPU time of the calling thread over the runs (with one intra-op thread ORT computes on
     *                    it, so this is the load-independent cost on shared cores; NaN with more threads)
     * @param cpuRatio    cpuMs relative to fp32's
     */
    public record Row(String variant, String kernels, double ms, double ratioToFp32, double cpuMs, double cpuRatio,
                      double relativeError, long weightBytes) {
    }

    private MatMulKernelBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int[] ms = {16, 256, 2048};
        int k = 1024;
        int n = 1024;
        int reps = 20;
        int threads = 1;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--m" -> ms = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--k" -> k = Integer.parseInt(args[++i]);
                case "--n" -> n = Integer.parseInt(args[++i]);
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (use --m LIST --k K --n N --reps R --threads T)");
            }
        }
        CpuFeatures cpu = CpuFeatures.current();
        System.out.println("CPU: " + cpu.model());
        System.out.println("vector features: " + cpu.summary());
        System.out.println("ONNX Runtime " + ai.onnxruntime.OrtEnvironment.getEnvironment().getVersion()
                + ", intra-op threads " + threads + ", K=" + k + " N=" + n + ", median wall time and least thread CPU time of "
                + reps + " runs (CPU time is what counts on shared cores)");
        for (int m : ms) {
            List<Row> rows = run(m, k, n, reps, threads);
            System.out.println();
            System.out.println(table(m, k, n, rows));
        }
    }

    /** Times every variant on an M×K input and a K×N weight. */
    public static List<Row> run(int m, int k, int n, int reps, int threads) {
        Random r = new Random(1);
        float[] w = new float[n * k];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextGaussian() * 0.04);
        }
        float[] x = new float[m * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() + 0.3);
        }
        ModelProto fp = linearModel(w, k, n);
        LinearLayer layer = LinearLayer.findAll(fp).get(0);
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float v : x) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        ActivationParams a8 = ActivationParams.fromRange(8, min, max);
        QuantizedWeights w8 = RtnQuantizer.quantize(w, n, k, WeightSpec.perChannel(8));
        QuantizedWeights w4g = RtnQuantizer.quantize(w, n, k, WeightSpec.grouped(4, 128));
        QuantizedWeights w4g32 = RtnQuantizer.quantize(w, n, k, WeightSpec.grouped(4, 32));
        QuantizedWeights w4 = RtnQuantizer.quantize(w, n, k, WeightSpec.perChannel(4));
        ActivationSpec tensor8 = ActivationSpec.of(8, ActivationSpec.Granularity.TENSOR);
        ActivationSpec token8 = ActivationSpec.of(8, ActivationSpec.Granularity.TOKEN);

        record Variant(String name, ModelProto model) {
        }
        EmitOptions acc0 = EmitOptions.DEFAULTS;
        ActivationSpec kernel8 = ActivationSpec.of(8, ActivationSpec.Granularity.KERNEL);
        List<Variant> variants = new ArrayList<>();
        variants.add(new Variant("fp32 MatMul", fp));
        variants.add(new Variant("W8A8 static, u8×s8 (QDQ)", emit(fp, new QuantizedLayer(layer, w8, tensor8, a8), acc0.withInt8Flavor(EmitOptions.Int8Flavor.U8S8))));
        variants.add(new Variant("W8A8 static, u8×u8 (QDQ)", emit(fp, new QuantizedLayer(layer, w8, tensor8, a8), acc0.withInt8Flavor(EmitOptions.Int8Flavor.U8U8))));
        variants.add(new Variant("W4A8 static, u8×s8 (QDQ)", emit(fp, new QuantizedLayer(layer, w4, tensor8, a8), acc0)));
        variants.add(new Variant("W8A8 per-token, u8×u8", emit(fp, new QuantizedLayer(layer, w8, token8, null), acc0.withInt8Flavor(EmitOptions.Int8Flavor.U8U8))));
        variants.add(new Variant("W8A16 MatMulNBits acc0", emit(fp, new QuantizedLayer(layer, w8, ActivationSpec.FLOAT, null), acc0)));
        variants.add(new Variant("W8A8-kernel MatMulNBits acc4", emit(fp, new QuantizedLayer(layer, w8, kernel8, null), acc0)));
        variants.add(new Variant("W4A16-g128 MatMulNBits acc0", emit(fp, new QuantizedLayer(layer, w4g, ActivationSpec.FLOAT, null), acc0)));
        variants.add(new Variant("W4A8-g128-kernel MatMulNBits acc4", emit(fp, new QuantizedLayer(layer, w4g, kernel8, null), acc0)));
        variants.add(new Variant("W4A16-g32 MatMulNBits acc0", emit(fp, new QuantizedLayer(layer, w4g32, ActivationSpec.FLOAT, null), acc0)));
        variants.add(new Variant("W4A8-g32-kernel MatMulNBits acc4", emit(fp, new QuantizedLayer(layer, w4g32, kernel8, null), acc0)));

        SessionConfig config = SessionConfig.ofThreads(threads);
        List<Row> rows = new ArrayList<>();
        float[] reference = null;
        double fpMs = Double.NaN;
        double fpCpu = Double.NaN;
        long fpBytes = (long) k * n * 4;
        for (Variant v : variants) {
            try (OnnxSession s = OrtRuntime.open(v.model().toByteArray(), v.name(), config);
                 OnnxTensor t = OnnxTensor.createTensor(OrtRuntime.environment(), FloatBuffer.wrap(x), new long[]{m, k})) {
                float[] y = output(s, t);
                double[] timing = time(s, t, reps, threads == 1);
                double median = timing[0];
                double cpuMs = timing[1];
                if (reference == null) {
                    reference = y;
                    fpMs = median;
                    fpCpu = cpuMs;
                }
                String kernels = OptimizedGraphs.runtimeOpTypeCounts(v.model()).keySet().stream()
                        .map(op -> op.replace("com.microsoft:", "")).collect(Collectors.joining("+"));
                rows.add(new Row(v.name(), kernels, median, median / fpMs, cpuMs, cpuMs / fpCpu, ErrorMetrics.relativeError(reference, y),
                        v.model() == fp ? fpBytes : weightBytes(v.model())));
            } catch (OrtException e) {
                throw new IllegalStateException(v.name() + ": " + e.getMessage(), e);
            }
        }
        return rows;
    }

    public static String table(int m, int k, int n, List<Row> rows) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "M=%d K=%d N=%d%n", m, k, n));
        b.append(String.format(Locale.ROOT, "%-30s %9s %7s %9s %7s %8s %10s  %s%n", "variant", "wall ms", "×fp32",
                "cpu ms", "×fp32", "rel.err", "weight KiB", "ORT runs"));
        for (Row r : rows) {
            b.append(String.format(Locale.ROOT, "%-30s %9.3f %7.2f %9.3f %7.2f %8.4f %10d  %s%n", r.variant(), r.ms(),
                    r.ratioToFp32(), r.cpuMs(), r.cpuRatio(), r.relativeError(), r.weightBytes() / 1024, r.kernels()));
        }
        return b.toString();
    }

    private static ModelProto emit(ModelProto fp, QuantizedLayer q, EmitOptions options) {
        return OnnxEmitter.emit(fp, List.of(q), options).model();
    }

    static ModelProto linearModel(float[] wOutIn, int k, int n) {
        var node = Nodes.node("MatMul", "layer/MatMul", List.of("X", "W"), List.of("Y"));
        var graph = ai.onnx.proto.OnnxMl.GraphProto.newBuilder().setName("linear").addNode(node)
                .addInitializer(TensorData.floats("W", LinearLayer.transpose(wOutIn, n, k), k, n))
                .addInput(ValueInfos.tensor("X", TensorProto.DataType.FLOAT_VALUE, "M", k))
                .addOutput(ValueInfos.tensor("Y", TensorProto.DataType.FLOAT_VALUE, "M", n));
        return ModelProto.newBuilder().setIrVersion(8).setGraph(graph)
                .addOpsetImport(ai.onnx.proto.OnnxMl.OperatorSetIdProto.newBuilder().setDomain(OnnxModels.DEFAULT_DOMAIN).setVersion(17))
                .build();
    }

    private static long weightBytes(ModelProto m) {
        long b = 0;
        for (TensorProto t : GraphIndex.of(m).initializers().values()) {
            if (TensorData.elementCount(t) > 64) {
                b += TensorData.payloadBytes(t);
            }
        }
        return b;
    }

    private static float[] output(OnnxSession s, OnnxTensor t) {
        try (OrtSession.Result r = s.run(Map.of("X", t))) {
            FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
            float[] y = new float[fb.remaining()];
            fb.get(y);
            return y;
        }
    }

    /** {median wall ms, least thread-CPU ms (NaN unless single-threaded)}. */
    private static double[] time(OnnxSession s, OnnxTensor t, int reps, boolean cpuTime) {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 3; i++) {
            s.run(Map.of("X", t)).close();
        }
        double[] times = new double[reps];
        double minCpu = Double.POSITIVE_INFINITY;
        for (int i = 0; i < reps; i++) {
            long c0 = mx.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            s.run(Map.of("X", t)).close();
            times[i] = (System.nanoTime() - t0) / 1e6;
            minCpu = Math.min(minCpu, (mx.getCurrentThreadCpuTime() - c0) / 1e6);
        }
        Arrays.sort(times);
        return new double[]{times[reps / 2], cpuTime ? minCpu : Double.NaN};
    }
}
