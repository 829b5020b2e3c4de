package dev.qwm.onnx.kernel;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.graph.GraphIndex;
import dev.qwm.onnx.graph.Int8Weights;
import dev.qwm.onnx.graph.TensorData;
import dev.qwm.onnx.graph.MatMulNBitsExpansion;
import dev.qwm.onnx.graph.MultiHeadAttentions;
import dev.qwm.onnx.graph.Nodes;
import dev.qwm.onnx.graph.OnnxModels;
import dev.qwm.onnx.graph.SplitProducts;
import dev.qwm.onnx.graph.ValueInfos;
import dev.qwm.onnx.runtime.CpuFeatures;
import dev.qwm.onnx.runtime.ExecutionProvider;
import dev.qwm.onnx.runtime.OnnxRuntimeException;
import dev.qwm.onnx.runtime.OnnxSession;
import dev.qwm.onnx.runtime.OrtRuntime;
import dev.qwm.onnx.runtime.RunEnvironment;
import dev.qwm.onnx.runtime.SessionConfig;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Kernel variants chosen by measurement on the CPU that runs a model, among variants that compute the same numbers.
 *
 * <p>The variant: a weight-only {@code MatMulNBits} (accuracy_level 0, default zero points) multiplies float
 * activations by weights it dequantizes to float, {@code (code − 2^(bits−1)) · scale}, one float product per weight.
 * The same float weights, dequantized once when the session is opened ({@link MatMulNBitsExpansion}), can run as a
 * plain float MatMul; on narrow layers with many rows (the planner's candidates × tokens) MLAS's float GEMM is faster
 * than MatMulNBits' per-call dequantization. The file keeps its packed weights; only the session holds the float ones.
 *
 * <p>For each such layer both variants run alone on the same random input at planning shapes, interleaved; the float
 * MatMul is chosen only when its outputs are bit-for-bit those of MatMulNBits on this CPU (at the timed rows and at
 * 16 and 17 rows: MLAS sums the same way only where K fits one pass, e.g. K ≤ 256 here, and MatMulNBits' one-row
 * path sums differently, so a layer is never assumed identical) and its least thread CPU time is below
 * MatMulNBits' by more than {@link #MARGIN}. A variant that is not bit-identical here is never chosen,
 * so no choice can change what a model computes, on any CPU. Choices are cached by CPU signature (model and vector
 * features), ONNX Runtime version, graph hash and thread count, so a bundle moved to a CPU of another class is
 * measured again when it is loaded there.
 *
 * <p>The second choice, for 8-bit × 8-bit products (QDQ MatMul/Gemm and MatMulInteger): their int8 weights may
 * run as int8 codes (u8×s8 GEMM) or as uint8 codes + 128 with zero point 128 (u8×u8), the same integers
 * ({@link Int8Weights}). u8×s8 is eligible only where its products equal u8×u8's bit for bit on this CPU, also with
 * every activation at 255, which shows any 16-bit saturation of pair sums (vpmaddubsw without VNNI); otherwise the
 * weights run u8×u8, so a bundle written on a VNNI CPU computes the same numbers on an AVX2 one. Among exact
 * storages the faster by more than {@link #MARGIN} is chosen, else the stored one.
 *
 * <p>The third choice, for a float product read only by an equal Split (attention's fused q, k, v projection): as
 * stored, or one MatMul per part with its columns of the weight (no Split copy, {@link SplitProducts}), under the same
 * rule as the first (bit-identical at the timed rows and at 16 and 17 rows, faster by more than the margin).
 *
 * <p>The fourth choice, for masked attention (DINO-WM's frame-causal predictor): the exporter's nodes (per head
 * q·kᵀ, scale, + mask, Softmax, · v, with the Reshapes and Transposes between) or one ORT MultiHeadAttention node
 * with the mask as attention bias ({@link MultiHeadAttentions}), which runs the same GEMMs and softmax without the
 * transposes. Both run alone on random q, k, v and a mask of zeros, −∞ and random values, at the longest sequence
 * the mask allows and at half of it; the fused node is used only where its outputs are bit-identical here and it is
 * faster by more than {@link #MARGIN}. Sites of one shape are measured once.
 *
 * <p>System properties: {@code qwm.ort.kernel-choice} = {@code measure} (default) or {@code off} (the stored kernels,
 * except int8 weights stored u8×s8 where that is not exact here: those still run u8×u8, checked as above but not
 * timed, since off must not change what a model computes); {@code qwm.ort.kernel-cache} = the cache folder (default
 * {@code ~/.cache/qwm/kernel-choices}).
 */
public final class KernelChoice {

    public static final String MODE_PROPERTY = "qwm.ort.kernel-choice";
    public static final String CACHE_PROPERTY = "qwm.ort.kernel-cache";
    /** A float MatMul must beat MatMulNBits by this fraction of its CPU time: ties keep the smaller kernel. */
    public static final double MARGIN = 0.03;
    /** Rows of the timed input: the shipped models' planning batch (300 candidates × 16 tokens). */
    public static final int PLANNING_ROWS = 4800;
    /** Work per timed run is capped (rows shrink for wide layers, never below {@link #MIN_ROWS}) to bound load time. */
    static final long MAX_MACS_PER_RUN = 1L << 29;
    static final int MIN_ROWS = 256;
    static final int WARMUP = 2;
    /** Row counts the outputs are compared at besides the timed rows. */
    static final int[] CHECK_ROWS = {16, 17};
    static final int REPS = 5;
    /** Changes when the measurement changes, so old cache entries are not reused. */
    static final String METHOD = "kernel-choice/5";

    public static final String MATMUL_NBITS = "MatMulNBits";
    public static final String FLOAT_MATMUL = "MatMul (float, expanded at load)";
    public static final String ATTENTION_NODES = "attention nodes (MatMul, Softmax, MatMul)";
    public static final String MATMUL_SPLIT = "MatMul, Split";
    public static final String MATMUL_PER_PART = "MatMul per part (split at load)";
    public static final String MULTI_HEAD_ATTENTION = "MultiHeadAttention (fused at load)";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * One layer's choice.
     *
     * @param node        the MatMulNBits node, or the weights' DequantizeLinear / the MatMulInteger of an int8 product
     * @param shape       "K×N, ..." of the layer
     * @param rows        rows of the timed input
     * @param stored      the variant as stored: {@link #MATMUL_NBITS}, or {@link Int8Weights#SIGNED} /
     *                    {@link Int8Weights#UNSIGNED}
     * @param chosen      the variant the session runs: one of the keys of {@code cpuMs}
     * @param cpuMs       least thread CPU time per variant
     * @param identical   whether the variants' outputs were bit-identical here (for int8 products: also with every
     *                    activation 255, which makes any 16-bit saturation of u8×s8 show)
     */
    public record Layer(String node, String shape, int rows, String stored, String chosen, Map<String, Double> cpuMs,
                        boolean identical) {
    }

    /**
     * The choices for one graph on one CPU.
     *
     * @param method     {@link #METHOD}
     * @param cpu        CPU model
     * @param cpuClass   {@link CpuFeatures#cpuClass()}
     * @param features   {@link CpuFeatures#summary()}
     * @param onnxRuntime ORT version
     * @param threads    intra-op threads of the timed sessions
     * @param graphSha256 SHA-256 of the model file
     * @param layers     one per weight-only MatMulNBits node
     * @param fromCache  whether this came from the cache (not serialised as such: true only when read back)
     */
    public record Choices(String method, String cpu, String cpuClass, String features, String onnxRuntime, int threads,
                          String graphSha256, List<Layer> layers, boolean fromCache) {

        /** Nodes to run as float MatMul. */
        public List<String> expanded() {
            return layers.stream().filter(l -> l.chosen().equals(FLOAT_MATMUL)).map(Layer::node).toList();
        }

        /** Split products (named by their Split) to run as one MatMul per part. */
        public List<String> splitProducts() {
            return layers.stream().filter(l -> l.chosen().equals(MATMUL_PER_PART)).map(Layer::node).toList();
        }

        /** Masked attention cores (named by their Softmax) to run as one MultiHeadAttention node. */
        public List<String> fusedAttention() {
            return layers.stream().filter(l -> l.chosen().equals(MULTI_HEAD_ATTENTION)).map(Layer::node).toList();
        }

        /** Int8 weight sites to store as {@code storage} for this CPU (where that is not how they are stored). */
        public List<String> restored(String storage) {
            return layers.stream().filter(l -> l.chosen().equals(storage) && !l.stored().equals(storage))
                    .map(Layer::node).toList();
        }

        /** The model as the session runs it: every choice applied. */
        public ModelProto apply(ModelProto model) {
            ModelProto m = model;
            if (!expanded().isEmpty()) {
                m = MatMulNBitsExpansion.expand(m, expanded());
            }
            for (String storage : List.of(Int8Weights.SIGNED, Int8Weights.UNSIGNED)) {
                if (!restored(storage).isEmpty()) {
                    m = Int8Weights.withStorage(m, restored(storage), storage);
                }
            }
            if (!splitProducts().isEmpty()) {
                m = SplitProducts.split(m, splitProducts());
            }
            if (!fusedAttention().isEmpty()) {
                m = MultiHeadAttentions.fuse(m, fusedAttention());
            }
            return m;
        }

        /** Whether the session runs the model as stored. */
        public boolean asStored() {
            return layers.stream().allMatch(l -> l.chosen().equals(l.stored()));
        }

        Choices cached() {
            return new Choices(method, cpu, cpuClass, features, onnxRuntime, threads, graphSha256, layers, true);
        }
    }

    private KernelChoice() {
    }

    /** Whether loading measures and applies choices ({@code -Dqwm.ort.kernel-choice}, default measure). */
    public static boolean enabled() {
        String mode = System.getProperty(MODE_PROPERTY, "measure").trim().toLowerCase(Locale.ROOT);
        return switch (mode) {
            case "measure" -> true;
            case "off" -> false;
            default -> throw new IllegalArgumentException(MODE_PROPERTY + " must be measure or off, got \"" + mode + "\"");
        };
    }

    public static Path defaultCache() {
        String p = System.getProperty(CACHE_PROPERTY);
        return p != null ? Path.of(p) : Path.of(System.getProperty("user.home"), ".cache", "qwm", "kernel-choices");
    }

    /**
     * Opens a model file as a session that runs the kernel variants chosen for this CPU (the file as stored when it
     * has no weight-only MatMulNBits, when choice is off, or on another provider than the CPU). Model loaders of
     * bundles (encoder, predictor) open their components through this.
     */
    public static OnnxSession open(Path model, SessionConfig config) {
        return open(model, config, CpuFeatures.current(), defaultCache());
    }

    /** As {@link #open(Path, SessionConfig)}, choosing for {@code cpu} with the cache in {@code cache}. */
    public static OnnxSession open(Path model, SessionConfig config, CpuFeatures cpu, Path cache) {
        return open(model, config, cpu, cache, enabled());
    }

    /** As {@link #open(Path, SessionConfig, CpuFeatures, Path)}, measuring or not ({@code qwm.ort.kernel-choice}). */
    static OnnxSession open(Path model, SessionConfig config, CpuFeatures cpu, Path cache, boolean measure) {
        try {
            if (config.provider() != ExecutionProvider.CPU || !Files.isRegularFile(model)) {
                return OrtRuntime.open(model, config);
            }
            boolean int8 = mentions(model, "DequantizeLinear") || mentions(model, "MatMulInteger");
            if (!int8 && !(measure && (mentions(model, MATMUL_NBITS) || mentions(model, "Softmax") || mentions(model, "Split")))) {
                return OrtRuntime.open(model, config);
            }
            byte[] bytes = Files.readAllBytes(model);
            ModelProto proto = OnnxModels.parse(bytes);
            Choices c = measure ? choose(proto, graphSha256(bytes), config.intraOpThreads(), cpu, cache)
                    : exactInt8(proto, graphSha256(bytes), config.intraOpThreads(), cpu);
            if (c.asStored()) {
                return OrtRuntime.open(model, config);
            }
            return OrtRuntime.open(c.apply(proto).toByteArray(), model.toString(), config);
        } catch (IOException e) {
            throw new OnnxRuntimeException("cannot read " + model + ": " + e.getMessage(), e);
        }
    }

    /**
     * Opens an in-memory model as the load does with choice off: as stored, except int8 weights stored u8×s8 where
     * that is not exact on this CPU, which run u8×u8 (the numbers the graph means, on every CPU).
     */
    public static OnnxSession openExact(ModelProto model, String name, SessionConfig config) {
        Choices c = exactInt8(model, "in memory", config.intraOpThreads(), CpuFeatures.current());
        return OrtRuntime.open((c.asStored() ? model : c.apply(model)).toByteArray(), name, config);
    }

    /** The choices for {@code model} on {@code cpu}, from the cache or measured now (and then cached). */
    public static Choices choose(ModelProto model, String graphSha256, int threads, CpuFeatures cpu, Path cache) {
        String ort = RunEnvironment.onnxRuntimeVersion();
        Path entry = cache.resolve(ModelBundle.sha256((METHOD + "|" + cpu.model() + "|" + new java.util.TreeSet<>(cpu.flags()) + "|"
                + ort + "|" + graphSha256 + "|" + threads).getBytes(StandardCharsets.UTF_8)) + ".json");
        if (Files.isRegularFile(entry)) {
            try {
                return JSON.readValue(entry.toFile(), Choices.class).cached();
            } catch (IOException e) {
                // unreadable (e.g. written by another version): measure again and replace it
            }
        }
        Choices c = measure(model, graphSha256, threads, cpu, ort);
        write(entry, c);
        return c;
    }

    /**
     * With choice off: only what exactness requires, int8 weights stored u8×s8 checked (not timed) on this CPU and
     * run u8×u8 where u8×s8 is not exact; everything else as stored. Not cached: the check is a few small runs.
     */
    static Choices exactInt8(ModelProto model, String graphSha256, int threads, CpuFeatures cpu) {
        List<Layer> layers = new ArrayList<>();
        for (Int8Weights.Site site : Int8Weights.find(model)) {
            if (site.storage().equals(Int8Weights.SIGNED)) {
                layers.add(measureInt8(model, site, threads, false));
            }
        }
        return new Choices(METHOD, cpu.model(), cpu.cpuClass(), cpu.summary(), RunEnvironment.onnxRuntimeVersion(), threads,
                graphSha256, layers, false);
    }

    /** Measures both variants of every weight-only MatMulNBits node of {@code model}. */
    static Choices measure(ModelProto model, String graphSha256, int threads, CpuFeatures cpu, String ort) {
        GraphIndex index = GraphIndex.of(model);
        List<Layer> layers = new ArrayList<>();
        for (NodeProto n : model.getGraph().getNodeList()) {
            if (!MatMulNBitsExpansion.expandable(n, index)) {
                continue;
            }
            layers.add(measureLayer(model, n, index, threads));
        }
        for (Int8Weights.Site site : Int8Weights.find(model)) {
            layers.add(measureInt8(model, site, threads, true));
        }
        // on the graph as the choices so far run it: a weight-only qkv expanded to a float MatMul is a split product too
        List<String> expanded = layers.stream().filter(l -> l.chosen().equals(FLOAT_MATMUL)).map(Layer::node).toList();
        ModelProto asRun = expanded.isEmpty() ? model : MatMulNBitsExpansion.expand(model, expanded);
        for (SplitProducts.Site site : SplitProducts.find(asRun)) {
            layers.add(measureSplit(asRun, site, threads));
        }
        // attention holds no weights: sites of one shape and scale are the same measurement, taken once
        Map<String, Layer> attentionByShape = new java.util.HashMap<>();
        for (MultiHeadAttentions.Site site : MultiHeadAttentions.find(model)) {
            if (site.maxSeq() > 0) {
                Layer l = attentionByShape.computeIfAbsent(site.maxSeq() + "|" + site.heads() + "|" + site.headDim()
                        + "|" + site.scale(), k -> measureAttention(model, site, threads));
                layers.add(new Layer(site.softmax(), l.shape(), l.rows(), l.stored(), l.chosen(), l.cpuMs(), l.identical()));
            }
        }
        return new Choices(METHOD, cpu.model(), cpu.cpuClass(), cpu.summary(), ort, threads, graphSha256, layers, false);
    }

    private static Layer measureLayer(ModelProto model, NodeProto n, GraphIndex index, int threads) {
        int k = (int) Nodes.intAttribute(n, "K", 0);
        int nOut = (int) Nodes.intAttribute(n, "N", 0);
        int rows = (int) Math.max(MIN_ROWS, Math.min(PLANNING_ROWS, MAX_MACS_PER_RUN / ((long) k * nOut)));
        ModelProto alone = alone(model, n, index);
        ModelProto expanded = MatMulNBitsExpansion.expand(alone, List.of(n.getName()));
        SplittableRandom r = new SplittableRandom(k * 31L + nOut);
        SessionConfig config = SessionConfig.ofThreads(threads);
        double[] best;
        boolean identical = true;
        try (OnnxSession packed = OrtRuntime.open(alone.toByteArray(), "layer " + n.getName(), config);
             OnnxSession flat = OrtRuntime.open(expanded.toByteArray(), "layer " + n.getName() + " (float)", config);
             OnnxTensor t = input(r, rows, k)) {
            // bit-identical at the timed rows and at the fewest rows a planner runs (one image or candidate, 16
            // tokens; 17 for an odd count): MLAS' float GEMM and MatMulNBits' sum the same way only where K fits
            // one pass, which is why it is checked per layer, on this CPU, and never assumed
            for (int check : CHECK_ROWS) {
                try (OnnxTensor c = check == rows ? null : input(r, check, k)) {
                    OnnxTensor in = c == null ? t : c;
                    identical &= java.util.Arrays.equals(run(packed, in), run(flat, in)); // floats: bit for bit
                }
            }
            identical &= java.util.Arrays.equals(run(packed, t), run(flat, t));
            best = leastTimes(threads, Map.of("x", t), packed, flat);
        } catch (OrtException e) {
            throw new OnnxRuntimeException("cannot time layer " + n.getName() + ": " + e.getMessage(), e);
        }
        boolean faster = best[1] < best[0] * (1 - MARGIN);
        Map<String, Double> ms = new LinkedHashMap<>();
        ms.put(MATMUL_NBITS, best[0]);
        ms.put(FLOAT_MATMUL, best[1]);
        String shape = k + "×" + nOut + ", " + Nodes.intAttribute(n, "bits", 4) + "-bit blocks of "
                + Nodes.intAttribute(n, "block_size", 0);
        return new Layer(n.getName(), shape, rows, MATMUL_NBITS, identical && faster ? FLOAT_MATMUL : MATMUL_NBITS, ms,
                identical);
    }

    /**
     * An 8-bit × 8-bit product's two weight storages, timed as MatMulInteger (the GEMM that ORT's fused
     * MatMulIntegerToFloat and QGemm run) on uint8 activations. u8×s8 is eligible only where its products equal
     * u8×u8's (always exact) bit for bit, including with every activation at 255: on a CPU whose u8×s8 kernel
     * saturates 16-bit pair sums (no VNNI) that probe differs, and the weights are then stored u8×u8 whatever was
     * stored, so a bundle quantized on a VNNI CPU computes the same numbers on an AVX2 one. Untimed
     * ({@code time} false), only the check at 16 and 17 rows decides, and an exact storage stays as stored.
     */
    private static Layer measureInt8(ModelProto model, Int8Weights.Site site, int threads, boolean time) {
        int k = site.k();
        int nOut = site.n();
        int rows = (int) Math.max(MIN_ROWS, Math.min(PLANNING_ROWS, MAX_MACS_PER_RUN / ((long) k * nOut)));
        int[] codes = Int8Weights.codes(model, site);
        byte[] signed = new byte[codes.length];
        byte[] unsigned = new byte[codes.length];
        for (int i = 0; i < codes.length; i++) {
            signed[i] = (byte) codes[i];
            unsigned[i] = (byte) (codes[i] + 128);
        }
        ModelProto s8 = integerProduct(model, k, nOut, TensorData.int8s("B", signed, k, nOut), null);
        ModelProto u8 = integerProduct(model, k, nOut, TensorData.uint8s("B", unsigned, k, nOut),
                TensorData.uint8s("B_zero_point", new byte[]{(byte) 128}));
        SplittableRandom r = new SplittableRandom(k * 131L + nOut);
        SessionConfig config = SessionConfig.ofThreads(threads);
        double[] best;
        boolean identical = true;
        try (OnnxSession ss = OrtRuntime.open(s8.toByteArray(), "int8 layer " + site.node(), config);
             OnnxSession su = OrtRuntime.open(u8.toByteArray(), "uint8 layer " + site.node(), config);
             OnnxTensor t = codesInput(r, rows, k, false)) {
            for (int check : CHECK_ROWS) {
                for (boolean saturating : new boolean[]{true, false}) {
                    try (OnnxTensor c = codesInput(r, check, k, saturating)) {
                        identical &= java.util.Arrays.equals(ints(ss, c), ints(su, c));
                    }
                }
            }
            if (time) {
                identical &= java.util.Arrays.equals(ints(ss, t), ints(su, t));
                best = leastTimes(threads, Map.of("x", t), ss, su);
            } else {
                best = null;
            }
        } catch (OrtException e) {
            throw new OnnxRuntimeException("cannot time layer " + site.node() + ": " + e.getMessage(), e);
        }
        Map<String, Double> ms = new LinkedHashMap<>();
        if (best != null) {
            ms.put(Int8Weights.SIGNED, best[0]);
            ms.put(Int8Weights.UNSIGNED, best[1]);
        }
        String chosen;
        if (!identical) {
            chosen = Int8Weights.UNSIGNED; // u8×s8 is not exact here: not a variant, a wrong result
        } else if (best == null) {
            chosen = site.storage();
        } else {
            String other = site.storage().equals(Int8Weights.SIGNED) ? Int8Weights.UNSIGNED : Int8Weights.SIGNED;
            chosen = ms.get(other) < ms.get(site.storage()) * (1 - MARGIN) ? other : site.storage();
        }
        return new Layer(site.node(), k + "×" + nOut + ", 8-bit weights × uint8 activations", rows, site.storage(),
                chosen, ms, identical);
    }

    /**
     * A float product read only by an equal Split (attention's q, k, v projection), alone, against one MatMul per
     * part: bit-identical at the timed rows and at 16 and 17 rows, and faster by more than {@link #MARGIN}.
     */
    private static Layer measureSplit(ModelProto model, SplitProducts.Site site, int threads) {
        int rows = (int) Math.max(MIN_ROWS, Math.min(PLANNING_ROWS, MAX_MACS_PER_RUN / ((long) site.k() * site.n())));
        GraphIndex index = GraphIndex.of(model);
        NodeProto mm = model.getGraph().getNodeList().stream().filter(n -> n.getName().equals(site.matMul())).findFirst().orElseThrow();
        NodeProto split = model.getGraph().getNodeList().stream().filter(n -> n.getName().equals(site.split())).findFirst().orElseThrow();
        GraphProto.Builder g = GraphProto.newBuilder().setName("split product")
                .addNode(mm.toBuilder().setInput(0, "x").setOutput(0, "product"))
                .addInput(ValueInfos.tensor("x", TensorProto.DataType.FLOAT_VALUE, "M", site.k()))
                .addInitializer(index.requireInitializer(site.weight()));
        NodeProto.Builder sb = split.toBuilder().setInput(0, "product");
        if (split.getInputCount() > 1 && !split.getInput(1).isEmpty()) {
            g.addInitializer(index.requireInitializer(split.getInput(1)));
        }
        for (int p = 0; p < site.parts(); p++) {
            sb.setOutput(p, "y" + p);
            g.addOutput(ValueInfos.tensor("y" + p, TensorProto.DataType.FLOAT_VALUE, "M", site.n() / site.parts()));
        }
        g.addNode(sb);
        ModelProto alone = ModelProto.newBuilder().setIrVersion(model.getIrVersion())
                .addAllOpsetImport(model.getOpsetImportList()).setGraph(g).build();
        ModelProto parts = SplitProducts.split(alone, List.of(site.split()));
        SplittableRandom r = new SplittableRandom(site.k() * 37L + site.n());
        SessionConfig config = SessionConfig.ofThreads(threads);
        double[] best;
        boolean identical = true;
        try (OnnxSession whole = OrtRuntime.open(alone.toByteArray(), "product " + site.matMul(), config);
             OnnxSession each = OrtRuntime.open(parts.toByteArray(), "product " + site.matMul() + " (per part)", config);
             OnnxTensor t = input(r, rows, site.k())) {
            for (int check : CHECK_ROWS) {
                try (OnnxTensor c = input(r, check, site.k())) {
                    identical &= java.util.Arrays.deepEquals(all(whole, c), all(each, c));
                }
            }
            identical &= java.util.Arrays.deepEquals(all(whole, t), all(each, t));
            best = leastTimes(threads, Map.of("x", t), whole, each);
        } catch (OrtException e) {
            throw new OnnxRuntimeException("cannot time product " + site.matMul() + ": " + e.getMessage(), e);
        }
        Map<String, Double> ms = new LinkedHashMap<>();
        ms.put(MATMUL_SPLIT, best[0]);
        ms.put(MATMUL_PER_PART, best[1]);
        boolean faster = best[1] < best[0] * (1 - MARGIN);
        return new Layer(site.split(), site.k() + "×" + site.n() + " in " + site.parts() + " parts", rows, MATMUL_SPLIT,
                identical && faster ? MATMUL_PER_PART : MATMUL_SPLIT, ms, identical);
    }

    /** Every output of a run, concatenated in output order. */
    private static float[][] all(OnnxSession s, OnnxTensor t) {
        try (OrtSession.Result r = s.run(Map.of("x", t))) {
            float[][] out = new float[r.size()][];
            for (int i = 0; i < out.length; i++) {
                FloatBuffer fb = ((OnnxTensor) r.get(i)).getFloatBuffer();
                out[i] = new float[fb.remaining()];
                fb.get(out[i]);
            }
            return out;
        }
    }

    /**
     * A masked attention core alone (q, k, v [B, S, heads × headDim] and the mask [S, S] as inputs), as the stored
     * nodes and as one MultiHeadAttention node, at the longest sequence its mask allows and at half of it, batch 1
     * and the timed batch. The mask holds zeros, −∞ and random values, so that every way a score can be biased is
     * compared. A variant that fails to run here counts as not identical.
     */
    private static Layer measureAttention(ModelProto model, MultiHeadAttentions.Site site, int threads) {
        int s = site.maxSeq();
        int width = site.heads() * site.headDim();
        long macsPerItem = 2L * site.heads() * s * s * site.headDim();
        int batch = (int) Math.max(1, Math.min(300, MAX_MACS_PER_RUN / macsPerItem));
        ModelProto alone = attentionAlone(model, site);
        ModelProto fused = MultiHeadAttentions.fuse(alone, List.of(site.softmax()));
        SplittableRandom r = new SplittableRandom(s * 7L + width);
        SessionConfig config = SessionConfig.ofThreads(threads);
        double[] best = {Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY};
        boolean identical = true;
        try (OnnxSession nodes = OrtRuntime.open(alone.toByteArray(), "attention " + site.softmax(), config);
             OnnxSession mha = OrtRuntime.open(fused.toByteArray(), "attention " + site.softmax() + " (fused)", config)) {
            for (int[] shape : new int[][]{{1, s}, {1, (s + 1) / 2}, {batch, s}}) {
                Map<String, OnnxTensor> feeds = attentionInputs(r, shape[0], shape[1], width);
                try {
                    identical &= java.util.Arrays.equals(run(nodes, feeds), run(mha, feeds));
                    if (shape[0] == batch && shape[1] == s && identical) {
                        best = leastTimes(threads, feeds, nodes, mha);
                    }
                } finally {
                    feeds.values().forEach(OnnxTensor::close);
                }
            }
        } catch (OnnxRuntimeException e) {
            identical = false; // MultiHeadAttention does not take this attention here: not a variant
        }
        Map<String, Double> ms = new LinkedHashMap<>();
        ms.put(ATTENTION_NODES, best[0]);
        ms.put(MULTI_HEAD_ATTENTION, best[1]);
        boolean faster = best[1] < best[0] * (1 - MARGIN);
        return new Layer(site.softmax(), s + "×" + s + " scores, " + site.heads() + " heads × " + site.headDim()
                + ", masked", batch, ATTENTION_NODES, identical && faster ? MULTI_HEAD_ATTENTION : ATTENTION_NODES,
                ms, identical);
    }

    /** The attention core's nodes alone, with q, k, v and mask as graph inputs and its merged heads as output. */
    private static ModelProto attentionAlone(ModelProto model, MultiHeadAttentions.Site site) {
        GraphIndex index = GraphIndex.of(model);
        java.util.Set<String> names = new java.util.HashSet<>(site.nodes());
        GraphProto.Builder g = GraphProto.newBuilder().setName("attention");
        java.util.Map<String, String> rename = Map.of(site.query(), "q", site.key(), "k", site.value(), "v",
                site.mask(), "mask", site.output(), "y");
        for (NodeProto n : model.getGraph().getNodeList()) {
            if (!names.contains(n.getName())) {
                continue;
            }
            NodeProto.Builder b = n.toBuilder();
            for (int i = 0; i < b.getInputCount(); i++) {
                String in = b.getInput(i);
                b.setInput(i, rename.getOrDefault(in, in));
                index.initializer(in).ifPresent(t -> {
                    if (g.getInitializerList().stream().noneMatch(x -> x.getName().equals(in))) {
                        g.addInitializer(t);
                    }
                });
            }
            for (int i = 0; i < b.getOutputCount(); i++) {
                b.setOutput(i, rename.getOrDefault(b.getOutput(i), b.getOutput(i)));
            }
            g.addNode(b);
        }
        int width = site.heads() * site.headDim();
        for (String in : List.of("q", "k", "v")) {
            g.addInput(ValueInfos.tensor(in, TensorProto.DataType.FLOAT_VALUE, "B", "S", width));
        }
        g.addInput(ValueInfos.tensor("mask", TensorProto.DataType.FLOAT_VALUE, "S", "S"));
        g.addOutput(ValueInfos.tensor("y", TensorProto.DataType.FLOAT_VALUE, "B", "S", width));
        return ModelProto.newBuilder().setIrVersion(model.getIrVersion()).addAllOpsetImport(model.getOpsetImportList())
                .setGraph(g).build();
    }

    private static Map<String, OnnxTensor> attentionInputs(SplittableRandom r, int batch, int s, int width) {
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        try {
            for (String in : List.of("q", "k", "v")) {
                feeds.put(in, input(r, batch * s, width, new long[]{batch, s, width}));
            }
            float[] mask = new float[s * s];
            for (int i = 0; i < mask.length; i++) {
                int kind = r.nextInt(4);
                mask[i] = kind == 0 ? Float.NEGATIVE_INFINITY : kind == 1 ? (float) r.nextGaussian() : 0f;
            }
            for (int i = 0; i < s; i++) {
                mask[i * s + i] = 0f; // every row keeps one finite score, as a causal mask does
            }
            feeds.put("mask", OnnxTensor.createTensor(OrtRuntime.environment(), FloatBuffer.wrap(mask), new long[]{s, s}));
        } catch (OrtException e) {
            feeds.values().forEach(OnnxTensor::close);
            throw new OnnxRuntimeException("cannot make attention inputs: " + e.getMessage(), e);
        }
        return feeds;
    }

    /**
     * Least time per variant over {@link #REPS} runs of each on the same feeds after {@link #WARMUP}, interleaved
     * (who goes first alternates): thread CPU time with one thread, wall time otherwise.
     */
    private static double[] leastTimes(int threads, Map<String, OnnxTensor> feeds, OnnxSession... variants) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        double[] best = new double[variants.length];
        java.util.Arrays.fill(best, Double.POSITIVE_INFINITY);
        for (int rep = -WARMUP; rep < REPS; rep++) {
            for (int v = 0; v < variants.length; v++) {
                int i = Math.floorMod(v + rep, variants.length);
                long c0 = mx.getCurrentThreadCpuTime();
                long w0 = System.nanoTime();
                variants[i].run(feeds).close();
                double ms = threads == 1 && c0 >= 0 ? (mx.getCurrentThreadCpuTime() - c0) / 1e6 : (System.nanoTime() - w0) / 1e6;
                if (rep >= 0) {
                    best[i] = Math.min(best[i], ms);
                }
            }
        }
        return best;
    }

    /** x uint8 [rows, K] → MatMulInteger(x, B[, 0, zp]) → y int32. */
    private static ModelProto integerProduct(ModelProto model, int k, int n, TensorProto b, TensorProto bZeroPoint) {
        List<String> in = new ArrayList<>(List.of("x", "B"));
        GraphProto.Builder g = GraphProto.newBuilder().setName("int8 layer").addInitializer(b)
                .addInput(ValueInfos.tensor("x", TensorProto.DataType.UINT8_VALUE, "M", k))
                .addOutput(ValueInfos.tensor("y", TensorProto.DataType.INT32_VALUE, "M", n));
        if (bZeroPoint != null) {
            in.add("");
            in.add(bZeroPoint.getName());
            g.addInitializer(bZeroPoint);
        }
        g.addNode(Nodes.node("MatMulInteger", "product", in, List.of("y")));
        return ModelProto.newBuilder().setIrVersion(model.getIrVersion())
                .addOpsetImport(ai.onnx.proto.OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
                .setGraph(g).build();
    }

    /** uint8 activations, random or all 255 (the worst case for 16-bit pair sums). */
    private static OnnxTensor codesInput(SplittableRandom r, int rows, int k, boolean saturating) throws OrtException {
        byte[] x = new byte[rows * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = saturating ? (byte) 255 : (byte) r.nextInt(256);
        }
        return OnnxTensor.createTensor(OrtRuntime.environment(), java.nio.ByteBuffer.wrap(x), new long[]{rows, k},
                ai.onnxruntime.OnnxJavaType.UINT8);
    }

    private static int[] ints(OnnxSession s, OnnxTensor t) {
        try (OrtSession.Result r = s.run(Map.of("x", t))) {
            java.nio.IntBuffer ib = ((OnnxTensor) r.get(0)).getIntBuffer();
            int[] y = new int[ib.remaining()];
            ib.get(y);
            return y;
        }
    }

    private static OnnxTensor input(SplittableRandom r, int rows, int k) throws OrtException {
        return input(r, rows, k, new long[]{rows, k});
    }

    private static OnnxTensor input(SplittableRandom r, int rows, int k, long[] shape) throws OrtException {
        float[] x = new float[rows * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextDouble() * 4 - 2);
        }
        return OnnxTensor.createTensor(OrtRuntime.environment(), FloatBuffer.wrap(x), shape);
    }

    /** The node alone: input x [rows, K], its initializers, output y. */
    private static ModelProto alone(ModelProto model, NodeProto n, GraphIndex index) {
        NodeProto node = n.toBuilder().setInput(0, "x").setOutput(0, "y").build();
        GraphProto.Builder g = GraphProto.newBuilder().setName("layer").addNode(node)
                .addInput(ValueInfos.tensor("x", TensorProto.DataType.FLOAT_VALUE, "M", Nodes.intAttribute(n, "K", 0)))
                .addOutput(ValueInfos.tensor("y", TensorProto.DataType.FLOAT_VALUE, "M", Nodes.intAttribute(n, "N", 0)));
        for (int i = 1; i < n.getInputCount(); i++) {
            if (!n.getInput(i).isEmpty()) {
                g.addInitializer(index.initializers().get(n.getInput(i)));
            }
        }
        return ModelProto.newBuilder().setIrVersion(model.getIrVersion()).addAllOpsetImport(model.getOpsetImportList())
                .setGraph(g).build();
    }

    private static float[] run(OnnxSession s, OnnxTensor t) {
        return run(s, Map.of("x", t));
    }

    private static float[] run(OnnxSession s, Map<String, OnnxTensor> feeds) {
        try (OrtSession.Result r = s.run(feeds)) {
            FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
            float[] y = new float[fb.remaining()];
            fb.get(y);
            return y;
        }
    }

    private static void write(Path entry, Choices c) {
        try {
            Files.createDirectories(entry.getParent());
            Path tmp = Files.createTempFile(entry.getParent(), ".choice", ".tmp");
            Files.writeString(tmp, JSON.writeValueAsString(c));
            try {
                Files.move(tmp, entry, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, entry, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            // a cache that cannot be written only costs a measurement at the next load
        }
    }

    private static boolean mentions(Path model, String opType) throws IOException {
        byte[] needle = opType.getBytes(StandardCharsets.US_ASCII);
        try (var in = Files.newInputStream(model)) {
            byte[] buf = new byte[1 << 20];
            int carry = 0;
            int read;
            while ((read = in.read(buf, carry, buf.length - carry)) > 0) {
                int len = carry + read;
                outer:
                for (int i = 0; i + needle.length <= len; i++) {
                    for (int j = 0; j < needle.length; j++) {
                        if (buf[i + j] != needle[j]) {
                            continue outer;
                        }
                    }
                    return true;
                }
                carry = Math.min(needle.length - 1, len);
                System.arraycopy(buf, len - carry, buf, 0, carry);
            }
        }
        return false;
    }


    /** The graph hash of the cache key: SHA-256 of the model's bytes as stored. */
    public static String graphSha256(byte[] modelBytes) {
        return ModelBundle.sha256(modelBytes);
    }
}
