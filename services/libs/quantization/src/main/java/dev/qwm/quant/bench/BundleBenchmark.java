package dev.qwm.quant.bench;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.qwm.onnx.bundle.BundleComponent;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.graph.GraphFlops;
import dev.qwm.onnx.graph.MatMulNBitsExpansion;
import dev.qwm.onnx.kernel.KernelChoice;
import dev.qwm.onnx.graph.Nodes;
import dev.qwm.onnx.graph.OnnxModels;
import dev.qwm.onnx.graph.OptimizedGraphs;
import dev.qwm.onnx.runtime.CpuFeatures;
import dev.qwm.onnx.runtime.RunEnvironment;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.planning.cem.CemStepTimer;
import dev.qwm.planning.onnx.CemStepCost;
import dev.qwm.planning.onnx.OnnxWorldModel;
import dev.qwm.quant.Progress;

import dev.qwm.onnx.runtime.OrtProfile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Model bundles side by side in one run (issue 7's {@code ./qwm bench}): per bundle the time of one CEM step through
 * the planning library ({@link CemStepTimer}: CemPlanner over {@link OnnxWorldModel}) with one intra-op thread and
 * with all, its FLOP counted from the graphs ({@link CemStepCost}), bytes per component and of the matrix-product
 * weights, and the kernels ONNX Runtime really runs (its optimised graph), next to this CPU's vector features.
 *
 * <p>Repetitions are interleaved: each round takes one step of every bundle under every thread setting, the bundle
 * order rotating by round, so load from other processes on shared cores hits all bundles alike. Ratios to the first
 * bundle are the figures to read; absolute times move with the machine's load.
 */
public final class BundleBenchmark {

    /** Op types shown as "kernels": products, convolutions and (de)quantization; the rest is layout and element-wise. */
    private static final Pattern KERNEL_OPS = Pattern.compile(".*(MatMul|Gemm|Conv|Quantize|Dequantize|Attention|NBits).*");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * @param candidates  CEM candidates per step (DINO-WM: 300)
     * @param horizon     CEM horizon in macro actions (5)
     * @param repetitions timed steps per bundle and thread setting
     * @param warmup      untimed steps per bundle and thread setting first
     * @param threads     intra-op thread counts to time (e.g. 1 and all cores)
     * @param profileSteps CEM steps per bundle profiled by ORT after the timed ones (1 thread, separate sessions:
     *                     the profiler's overhead never reaches the timings); 0: no profile
     */
    public record Settings(int candidates, int horizon, int repetitions, int warmup, List<Integer> threads,
                           int profileSteps) {

        /** DINO-WM's full CEM step: the candidates that {@link Timing#extrapolatedMs} scales to. */
        public static final int FULL_CANDIDATES = 300;

        public Settings(int candidates, int horizon, int repetitions, int warmup, List<Integer> threads) {
            this(candidates, horizon, repetitions, warmup, threads, 0);
        }

        public Settings {
            if (profileSteps < 0) {
                throw new IllegalArgumentException("profiled steps must be >= 0, got " + profileSteps);
            }
            if (candidates < 2 || horizon < 1 || repetitions < 1 || warmup < 0) {
                throw new IllegalArgumentException("bench needs candidates >= 2, horizon >= 1, repetitions >= 1, "
                        + "warmup >= 0; got " + candidates + ", " + horizon + ", " + repetitions + ", " + warmup);
            }
            if (threads.isEmpty() || threads.stream().anyMatch(t -> t < 1)) {
                throw new IllegalArgumentException("thread counts must be >= 1, got " + threads);
            }
            threads = List.copyOf(new TreeSet<>(threads));
        }

        /** DINO-WM's CEM step (300 x 5), one thread and all of this machine's. */
        public static Settings defaults(int repetitions) {
            return new Settings(300, 5, repetitions, 2, List.of(1, Runtime.getRuntime().availableProcessors()));
        }
    }

    /**
     * @param threads        intra-op threads
     * @param medianMs       median wall time of a CEM step
     * @param minMs          least wall time
     * @param minCpuMs       least CPU time of the calling thread (with one thread ORT computes on it: the cost that
     *                       other processes' load does not inflate); NaN with more threads
     * @param medianRatio    medianMs over the first bundle's
     * @param minCpuRatio    minCpuMs over the first bundle's
     * @param wallMs         every timed step, in order
     * @param extrapolatedMs medianMs scaled linearly from the timed candidates to {@link Settings#FULL_CANDIDATES}
     *                       (the predictor's batch is the candidates; equal to medianMs when all were timed)
     * @param extrapolatedCpuMs minCpuMs scaled the same way
     * @param cpuMs          every timed step's CPU time of the calling thread, in order (NaN with more threads): their
     *                       spread is the noise a difference between bundles must exceed to be one
     */
    public record Timing(int threads, double medianMs, double minMs, double minCpuMs, double medianRatio,
                         double minCpuRatio, double[] wallMs, double extrapolatedMs, double extrapolatedCpuMs,
                         double[] cpuMs) {
    }

    /**
     * Where one bundle's CEM step goes, from ORT's profiler ({@link OrtProfile}) over {@code steps} profiled steps
     * (one intra-op thread; the sessions' first runs left out), per step.
     *
     * @param stepMs        wall time of a profiled CEM step (the profiler's own overhead included)
     * @param ortMs         time inside ORT's Run (encoder and predictor sessions)
     * @param opMs          kernel time per op type, largest first
     * @param opShare       opMs over stepMs
     * @param productShare  share of the step in matrix products (MatMul, Gemm, MatMulNBits, MatMulInteger*, QGemm,
     *                      FusedMatMul, Conv, Attention)
     * @param outsideOrtShare share of the step outside ORT (sampling, objective, refit, tensor copies in Java) and of
     *                        the runs {@link OrtProfile} leaves out: each session's first (one predictor call of the
     *                        profiled steps' steps × horizon, e.g. 1 of 15) and nothing else
     */
    public record Profile(int steps, double stepMs, double ortMs, Map<String, Double> opMs, Map<String, Double> opShare,
                          double productShare, double outsideOrtShare) {
    }

    /**
     * @param name            bundle component name
     * @param bytes           file size
     * @param ratio           bytes over the first bundle's same component
     * @param weightBytes     bytes of the weights its matrix products read ({@link GraphFlops#productWeightBytes})
     * @param weightRatio     weightBytes over the first bundle's
     * @param kernels         products and (de)quantization ops of ORT's optimised graph, with counts
     * @param runtimeOps      every op of ORT's optimised graph, with counts
     * @param unfusedDequantize DequantizeLinear left feeding a float MatMul/Gemm (QDQ pairs ORT did not fuse)
     * @param expandedAtLoad  weight-only MatMulNBits layers that the sessions run as bit-identical float MatMuls,
     *                        measured faster on this CPU ({@link KernelChoice}, 1 thread); kernels and runtimeOps
     *                        count what runs, after that choice
     */
    public record Component(String name, String sha256, long bytes, double ratio, long weightBytes, double weightRatio,
                            Map<String, Integer> kernels, Map<String, Integer> runtimeOps, int unfusedDequantize,
                            int expandedAtLoad) {
    }

    /**
     * @param gflop       FLOP of one CEM step's matrix products, from the graphs
     * @param flopByOp    FLOP per op type
     */
    public record BundleResult(String directory, String name, String reference, double gflop,
                               Map<String, Long> flopByOp, List<Component> components, List<Timing> timings,
                               Profile profile) {

        public Component component(String name) {
            return components.stream().filter(c -> c.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no component " + name));
        }

        public Timing timing(int threads) {
            return timings.stream().filter(t -> t.threads() == threads).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no timing with " + threads + " threads"));
        }
    }

    /** The CPU as ORT's kernel choice sees it; {@code cpuClass} is {@link CpuFeatures#cpuClass()}. */
    public record Cpu(String model, String cpuClass, Map<String, Boolean> features, int cores) {
    }

    /**
     * @param executionProvider where ORT ran the sessions (the benchmark opens CPU sessions); thread counts are per
     *                          timing
     */
    public record Report(String environment, Cpu cpu, String onnxRuntime, String executionProvider, Settings settings,
                         List<BundleResult> bundles) {

        public String toJson() {
            try {
                return JSON.writeValueAsString(this);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private BundleBenchmark() {
    }

    /**
     * Benchmarks {@code bundles} (all of {@code environment}) side by side; {@code progress} gets one step per timed
     * or warm-up CEM step.
     */
    public static Report run(List<ModelBundle> bundles, String environment, Settings settings, Progress progress) {
        if (bundles.isEmpty()) {
            throw new IllegalArgumentException("give at least one bundle");
        }
        for (ModelBundle b : bundles) {
            if (!b.manifest().environment().equals(environment)) {
                throw new IllegalArgumentException("bundle " + b.directory() + " (" + b.manifest().name() + ") is a "
                        + b.manifest().environment() + " model, not " + environment);
            }
        }
        int nb = bundles.size();
        List<Integer> threads = settings.threads();
        // static figures first: they need no timing and fail fast on a broken bundle
        List<CemStepCost> costs = new ArrayList<>();
        List<List<Component>> components = new ArrayList<>();
        for (ModelBundle b : bundles) {
            costs.add(CemStepCost.of(b, settings.candidates(), settings.horizon()));
            components.add(components(b, components.isEmpty() ? null : components.get(0)));
        }

        OnnxWorldModel[][] models = new OnnxWorldModel[nb][threads.size()];
        double[][][] wall = new double[nb][threads.size()][settings.repetitions()];
        double[][][] cpuTimes = new double[nb][threads.size()][settings.repetitions()];
        double[][] minCpu = new double[nb][threads.size()];
        for (double[] row : minCpu) {
            Arrays.fill(row, Double.POSITIVE_INFINITY);
        }
        Profile[] profiles = new Profile[nb];
        try {
            CemStepTimer[][] timers = new CemStepTimer[nb][threads.size()];
            for (int i = 0; i < nb; i++) {
                for (int t = 0; t < threads.size(); t++) {
                    models[i][t] = OnnxWorldModel.open(bundles.get(i), SessionConfig.ofThreads(threads.get(t)));
                    timers[i][t] = new CemStepTimer(models[i][t], settings.candidates(), settings.horizon(), 1);
                }
            }
            progress.start("bench", (long) (settings.warmup() + settings.repetitions()) * nb * threads.size()
                    + (long) settings.profileSteps() * nb);
            for (int round = -settings.warmup(); round < settings.repetitions(); round++) {
                for (int t = 0; t < threads.size(); t++) {
                    for (int k = 0; k < nb; k++) {
                        int i = Math.floorMod(k + round, nb); // rotate who goes first
                        CemStepTimer.Step s = timers[i][t].step();
                        if (round >= 0) {
                            wall[i][t][round] = s.wallMs();
                            cpuTimes[i][t][round] = threads.get(t) == 1 ? s.cpuMs() : Double.NaN;
                            minCpu[i][t] = Math.min(minCpu[i][t], s.cpuMs());
                        }
                        progress.step(String.format(java.util.Locale.ROOT, "%s, %d thr: %.0f ms",
                                bundles.get(i).manifest().name(), threads.get(t), s.wallMs()));
                    }
                }
            }
            for (int i = 0; settings.profileSteps() > 0 && i < nb; i++) {
                profiles[i] = profile(bundles.get(i), settings, progress);
            }
            progress.finish();
        } finally {
            for (OnnxWorldModel[] row : models) {
                for (OnnxWorldModel m : row) {
                    if (m != null) {
                        m.close();
                    }
                }
            }
        }

        List<BundleResult> results = new ArrayList<>();
        for (int i = 0; i < nb; i++) {
            List<Timing> timings = new ArrayList<>();
            for (int t = 0; t < threads.size(); t++) {
                double median = median(wall[i][t]);
                double cpu = threads.get(t) == 1 && Double.isFinite(minCpu[i][t]) ? minCpu[i][t] : Double.NaN;
                double firstCpu = threads.get(t) == 1 && Double.isFinite(minCpu[0][t]) ? minCpu[0][t] : Double.NaN;
                double scale = (double) Settings.FULL_CANDIDATES / settings.candidates();
                timings.add(new Timing(threads.get(t), median, Arrays.stream(wall[i][t]).min().orElseThrow(), cpu,
                        median / median(wall[0][t]), cpu / firstCpu, wall[i][t].clone(), median * scale, cpu * scale,
                        cpuTimes[i][t].clone()));
            }
            ModelBundle b = bundles.get(i);
            results.add(new BundleResult(b.directory().toString(), b.manifest().name(), b.reference(),
                    costs.get(i).gflop(), costs.get(i).byOpType(), components.get(i), timings, profiles[i]));
        }
        CpuFeatures cpu = CpuFeatures.current();
        Map<String, Boolean> features = new LinkedHashMap<>();
        CpuFeatures.REPORTED.forEach(f -> features.put(f, cpu.has(f)));
        return new Report(environment, new Cpu(cpu.model(), cpu.cpuClass(), features, Runtime.getRuntime().availableProcessors()),
                RunEnvironment.onnxRuntimeVersion(), SessionConfig.ofThreads(1).provider().name().toLowerCase(Locale.ROOT),
                settings, results);
    }

    /** Op types that are matrix products (the work quantization makes cheaper); the rest is overhead to cut. */
    private static final Pattern PRODUCT_OPS = Pattern.compile(".*(MatMul|Gemm|Conv|Attention).*");

    /**
     * Profiles {@code settings.profileSteps()} CEM steps of {@code bundle} with one intra-op thread in sessions of
     * their own (the process already warm from the timed steps), reading ORT's traces from a temporary folder that is deleted after.
     */
    static Profile profile(ModelBundle bundle, Settings settings, Progress progress) {
        Path dir;
        try {
            dir = Files.createTempDirectory("qwm-bench-profile");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a folder for ORT's profiles", e);
        }
        try {
            double stepMs = 0;
            try (OnnxWorldModel m = OnnxWorldModel.open(bundle,
                    SessionConfig.ofThreads(1).withProfiling(dir.resolve("ort")))) {
                CemStepTimer timer = new CemStepTimer(m, settings.candidates(), settings.horizon(), 1);
                for (int k = 0; k < settings.profileSteps(); k++) {
                    CemStepTimer.Step s = timer.step();
                    stepMs += s.wallMs();
                    progress.step(String.format(Locale.ROOT, "%s, profiled: %.0f ms", bundle.manifest().name(), s.wallMs()));
                }
            }
            int n = settings.profileSteps();
            stepMs /= n;
            // the process is warm from the timed steps; OrtProfile leaves out each session's first (allocating) run
            OrtProfile p = OrtProfile.readAll(dir);
            double runsScale = 1.0 / n / 1000.0;
            Map<String, Double> opMs = new LinkedHashMap<>();
            Map<String, Double> share = new LinkedHashMap<>();
            double products = 0;
            for (Map.Entry<String, Long> e : p.opMicros().entrySet()) {
                double ms = e.getValue() * runsScale;
                opMs.put(e.getKey(), ms);
                share.put(e.getKey(), ms / stepMs);
                if (PRODUCT_OPS.matcher(e.getKey()).matches()) {
                    products += ms;
                }
            }
            double ortMs = p.runMicros() * runsScale;
            return new Profile(n, stepMs, ortMs, opMs, share, products / stepMs, Math.max(0, 1 - ortMs / stepMs));
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
                Files.deleteIfExists(dir);
            } catch (IOException e) {
                // a leftover temporary trace is harmless
            }
        }
    }

    /** Sizes and runtime kernels of every component, with ratios to {@code first}'s (null for the first bundle). */
    static List<Component> components(ModelBundle bundle, List<Component> first) {
        List<Component> out = new ArrayList<>();
        for (Map.Entry<String, BundleComponent> e : new TreeMap<>(bundle.manifest().components()).entrySet()) {
            byte[] stored;
            try {
                stored = Files.readAllBytes(bundle.componentPath(e.getKey()));
            } catch (IOException ex) {
                throw new UncheckedIOException("cannot read " + bundle.componentPath(e.getKey()), ex);
            }
            ModelProto graph = OnnxModels.parse(stored);
            // what the sessions run: the load-time kernel variants chosen for this CPU (1 thread) applied
            ModelProto runs = graph;
            int expanded = 0;
            if (KernelChoice.enabled()) {
                List<String> nodes = KernelChoice.choose(graph, KernelChoice.graphSha256(stored), 1,
                        CpuFeatures.current(), KernelChoice.defaultCache()).expanded();
                if (!nodes.isEmpty()) {
                    runs = MatMulNBitsExpansion.expand(graph, nodes);
                    expanded = nodes.size();
                }
            }
            ModelProto optimized = OptimizedGraphs.optimized(runs);
            Map<String, Integer> ops = new TreeMap<>();
            OptimizedGraphs.opTypeCounts(optimized).forEach((op, n) -> ops.put(op.replace("com.microsoft:", ""), n));
            Map<String, Integer> kernels = new TreeMap<>();
            for (NodeProto n : optimized.getGraph().getNodeList()) {
                if (KERNEL_OPS.matcher(n.getOpType()).matches()) {
                    kernels.merge(kernelName(n), 1, Integer::sum);
                }
            }
            long bytes = e.getValue().bytes();
            long weights = GraphFlops.productWeightBytes(graph);
            Component base = first == null ? null
                    : first.stream().filter(c -> c.name().equals(e.getKey())).findFirst().orElse(null);
            out.add(new Component(e.getKey(), e.getValue().sha256(), bytes,
                    base == null ? 1.0 : (double) bytes / base.bytes(), weights,
                    base == null ? 1.0 : base.weightBytes() == 0 ? Double.NaN : (double) weights / base.weightBytes(),
                    kernels, ops, OptimizedGraphs.unfusedDequantize(optimized), expanded));
        }
        return out;
    }

    /** The op type, with MatMulNBits' bit width and accuracy_level (which decide its speed). */
    static String kernelName(NodeProto n) {
        if (n.getOpType().equals("MatMulNBits")) {
            return "MatMulNBits(" + Nodes.intAttribute(n, "bits", 4) + "b,acc" + Nodes.intAttribute(n, "accuracy_level", 0) + ")";
        }
        return n.getOpType();
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** "MatMulNBits×8 FusedMatMul×2 MatMul×2": kernels by count, largest first. */
    public static String describeKernels(Map<String, Integer> kernels) {
        StringBuilder b = new StringBuilder();
        kernels.entrySet().stream()
                .sorted((x, y) -> y.getValue().equals(x.getValue()) ? x.getKey().compareTo(y.getKey()) : y.getValue() - x.getValue())
                .forEach(e -> b.append(b.length() == 0 ? "" : " ").append(e.getKey()).append('×').append(e.getValue()));
        return b.length() == 0 ? "-" : b.toString();
    }
}
