package dev.qwm.onnx.dinowm;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qwm.files.StagedWrite;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.graph.GraphEditor;
import dev.qwm.onnx.graph.GraphException;
import dev.qwm.onnx.graph.Nodes;
import dev.qwm.onnx.graph.OnnxModels;
import dev.qwm.onnx.graph.TensorData;
import dev.qwm.onnx.graph.ValueInfos;
import dev.qwm.onnx.runtime.OnnxRuntimeException;
import dev.qwm.onnx.runtime.OnnxSession;
import dev.qwm.onnx.runtime.OrtRuntime;
import dev.qwm.onnx.runtime.SessionConfig;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static dev.qwm.onnx.bundle.BundleManifest.ACTION_ENCODER;
import static dev.qwm.onnx.bundle.BundleManifest.PREDICTOR;
import static dev.qwm.onnx.bundle.BundleManifest.PROPRIO_ENCODER;
import static dev.qwm.onnx.bundle.BundleManifest.VISUAL_ENCODER;

/**
 * Turns DINO-WM's four modules, as a plain {@code torch.onnx.export} writes them, into a qwm bundle by graph surgery:
 * the visual encoder gets qwm's uint8 HWC frames (cast, /255, DINO-WM's Normalize(0.5, 0.5), to NCHW) in front of
 * DINO-WM's float input; the proprio encoder the dataset normalisation; the predictor qwm's {@code [B,T,N,E]} tensor,
 * flattened to DINO-WM's frame-major {@code [B,T·N,E]} and back. Every graph input and output is found by rank and
 * shape (or named by the caller), and every size in {@code model.json} is read from the graphs, so nothing about the
 * export is assumed beyond what DINO-WM's classes compute. Everything is checked, including the optional reference
 * vectors, before anything is written.
 */
public final class DinoWmImport {

    /** The frame style an imported bundle declares: DINO-WM's renderers drew the frames its checkpoint learned. */
    public static final String FRAME_STYLE = "dinowm";

    public static final List<String> COMPONENTS = List.of(VISUAL_ENCODER, PROPRIO_ENCODER, ACTION_ENCODER, PREDICTOR);
    /** Wall and PushT both take a 2-D action per environment step; DINO-WM concatenates frameskip of them. */
    public static final int ENV_ACTION_DIM = 2;
    /** A reference output may differ from the user's PyTorch by this much of its largest magnitude. */
    public static final double REFERENCE_TOLERANCE = 1e-4;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> INPUT = Map.of(VISUAL_ENCODER, "images", PROPRIO_ENCODER, "proprio",
            ACTION_ENCODER, "actions", PREDICTOR, "z");
    private static final Map<String, String> OUTPUT = Map.of(VISUAL_ENCODER, "latents", PROPRIO_ENCODER,
            "proprio_emb", ACTION_ENCODER, "action_emb", PREDICTOR, "z_pred");

    /**
     * What to import. {@code inputNames}/{@code outputNames} name a component's tensors when it has several that fit;
     * {@code numHist} is needed only when the predictor's history cannot be read from its position embedding.
     */
    public record Options(Path onnxDir, String environment, Path stats, Path reference, String name,
                          Map<String, String> inputNames, Map<String, String> outputNames, Integer numHist) {
        public Options {
            inputNames = inputNames == null ? Map.of() : Map.copyOf(inputNames);
            outputNames = outputNames == null ? Map.of() : Map.copyOf(outputNames);
        }
    }

    /** The largest difference to the reference of one component, relative to its largest expected magnitude. */
    public record ReferenceCheck(String component, double maxAbsDiff, double maxAbsExpected, long[] worstIndex) {
        public double relative() {
            return maxAbsExpected == 0 ? maxAbsDiff : maxAbsDiff / maxAbsExpected;
        }
    }

    /** The wrapped graphs and their manifest, checked, not yet written. */
    public record Prepared(BundleManifest manifest, Map<String, byte[]> graphs, List<ReferenceCheck> references) {
    }

    private DinoWmImport() {
    }

    public static String fileOf(String component) {
        return "dinowm_" + component + ".onnx";
    }

    /** Checks and wraps everything, runs the references, then writes the bundle as {@code target} allows. */
    public static ModelBundle importTo(Options o, StagedWrite target) {
        Prepared p = prepare(o);
        ModelBundle.Writer w = ModelBundle.writer(p.manifest());
        p.graphs().forEach(w::component);
        return w.write(target);
    }

    /** Everything but the write: a refusal here leaves the file system untouched. */
    public static Prepared prepare(Options o) {
        if (!BundleManifest.ENVIRONMENTS.contains(o.environment())) {
            throw new IllegalArgumentException("--env must be one of " + BundleManifest.ENVIRONMENTS + ", got "
                    + o.environment());
        }
        if (!Files.isDirectory(o.onnxDir())) {
            throw new IllegalArgumentException("--onnx " + o.onnxDir() + ": not a folder");
        }
        List<String> missing = COMPONENTS.stream().map(DinoWmImport::fileOf)
                .filter(f -> !Files.isRegularFile(o.onnxDir().resolve(f))).toList();
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("--onnx " + o.onnxDir() + ": missing " + String.join(", ", missing)
                    + " (DINO-WM's export writes all four: " + COMPONENTS.stream().map(DinoWmImport::fileOf)
                    .collect(Collectors.joining(", ")) + ")");
        }
        if (o.reference() != null) {
            List<String> refMissing = new ArrayList<>();
            for (String c : COMPONENTS) {
                for (String suffix : List.of(".input.npy", ".expected.npy")) {
                    if (!Files.isRegularFile(o.reference().resolve(c + suffix))) {
                        refMissing.add(c + suffix);
                    }
                }
            }
            if (!refMissing.isEmpty()) {
                throw new IllegalArgumentException("--reference " + o.reference() + ": missing "
                        + String.join(", ", refMissing));
            }
        }
        Stats stats = Stats.read(o.stats());

        Map<String, ModelProto> raw = new LinkedHashMap<>();
        Map<String, Io> io = new LinkedHashMap<>();
        for (String c : COMPONENTS) {
            Path file = o.onnxDir().resolve(fileOf(c));
            ModelProto m;
            try {
                m = GraphEditor.nameNodes(OnnxModels.read(file));
            } catch (GraphException e) {
                throw new IllegalArgumentException(c + ": " + file + ": " + e.getMessage(), e);
            }
            raw.put(c, m);
            io.put(c, probe(c, m, o));
        }

        // Sizes, all read from the graphs; each mismatch is refused naming the component, the tensor and the shapes.
        Io vis = io.get(VISUAL_ENCODER);
        long[] vin = vis.inShape();
        if (vin.length != 4 || vin[1] != 3 || vin[2] <= 0 || vin[2] != vin[3]) {
            throw refuse(VISUAL_ENCODER, "input '" + vis.in() + "' is " + shape(vin)
                    + "; expected a float NCHW image [B,3,S,S] with a fixed size S (DINO-WM: 224)");
        }
        int imageSize = (int) vin[2];
        long[] vout = vis.outShape();
        if (vout.length != 3) {
            throw refuse(VISUAL_ENCODER, "output '" + vis.out() + "' is " + shape(vout) + "; expected patch tokens [B,N,D]");
        }
        int n = (int) vout[1];
        int side = (int) Math.round(Math.sqrt(n));
        if (side * side != n) {
            int s1 = (int) Math.round(Math.sqrt(n - 1));
            if (s1 * s1 == n - 1) {
                throw refuse(VISUAL_ENCODER, "output '" + vis.out() + "' is " + shape(vout) + ": " + n + " = " + s1
                        + "x" + s1 + " patches + 1, a CLS token; qwm plans on the patch tokens alone (export DINOv2's "
                        + "x_norm_patchtokens, DINO-WM's feature_key)");
            }
            throw refuse(VISUAL_ENCODER, "output '" + vis.out() + "' is " + shape(vout) + ": " + n
                    + " tokens are not a square grid of patches");
        }
        if (imageSize % side != 0) {
            throw refuse(VISUAL_ENCODER, "a " + imageSize + " px image is not a whole number of patches per side ("
                    + side + ")");
        }
        int latentDim = (int) vout[2];

        Io pro = io.get(PROPRIO_ENCODER);
        requireSequence(PROPRIO_ENCODER, pro);
        int proprioDim = (int) pro.inShape()[2];
        int proprioEmb = (int) pro.outShape()[2];
        Io act = io.get(ACTION_ENCODER);
        requireSequence(ACTION_ENCODER, act);
        int actionDim = (int) act.inShape()[2];
        int actionEmb = (int) act.outShape()[2];
        if (actionDim % ENV_ACTION_DIM != 0) {
            throw refuse(ACTION_ENCODER, "input '" + act.in() + "' is " + shape(act.inShape()) + ": " + actionDim
                    + " is not a multiple of the environment's " + ENV_ACTION_DIM + "-D action (frameskip actions)");
        }
        int frameskip = actionDim / ENV_ACTION_DIM;

        Io pred = io.get(PREDICTOR);
        long[] pin = pred.inShape();
        int tokenDim = latentDim + proprioEmb + actionEmb;
        if (pin.length != 3 || pin[2] != tokenDim) {
            throw refuse(PREDICTOR, "input '" + pred.in() + "' is " + shape(pin) + "; expected frame-major tokens [B,T*"
                    + n + "," + tokenDim + "] (" + latentDim + " visual + " + proprioEmb + " proprio + " + actionEmb
                    + " action, on every patch token)");
        }
        long window = pin[1] > 0 ? pin[1] : positionTokens(raw.get(PREDICTOR), tokenDim);
        int numHist;
        if (window > 0) {
            if (window % n != 0) {
                throw refuse(PREDICTOR, (pin[1] > 0 ? "input '" + pred.in() + "' " + shape(pin) + " has "
                        : "the position embedding covers ") + window + " tokens, not a multiple of the encoder's "
                        + n + " patch tokens per frame");
            }
            numHist = (int) (window / n);
            if (o.numHist() != null && o.numHist() != numHist) {
                throw refuse(PREDICTOR, "--num-hist " + o.numHist() + " but the graph holds " + numHist + " frames ("
                        + window + " tokens)");
            }
        } else if (o.numHist() != null) {
            numHist = o.numHist();
        } else {
            throw refuse(PREDICTOR, "cannot tell its history length (no fixed token count, no position embedding "
                    + "[1,K," + tokenDim + "]); pass --num-hist");
        }

        if (stats.actionMean().length != ENV_ACTION_DIM || stats.actionStd().length != ENV_ACTION_DIM) {
            throw new IllegalArgumentException("--stats " + o.stats() + ": actionMean and actionStd need "
                    + ENV_ACTION_DIM + " values (one per environment action dimension, before frameskip), got "
                    + stats.actionMean().length + " and " + stats.actionStd().length);
        }
        if (stats.proprioMean().length != proprioDim || stats.proprioStd().length != proprioDim) {
            throw new IllegalArgumentException("--stats " + o.stats() + ": proprioMean and proprioStd need "
                    + proprioDim + " values (the proprio encoder's input '" + pro.in() + "' is "
                    + shape(pro.inShape()) + "), got " + stats.proprioMean().length + " and "
                    + stats.proprioStd().length);
        }

        Map<String, byte[]> graphs = new LinkedHashMap<>();
        graphs.put(VISUAL_ENCODER, wrapVisual(raw.get(VISUAL_ENCODER), vis, imageSize, n, latentDim).toByteArray());
        graphs.put(PROPRIO_ENCODER, wrapProprio(raw.get(PROPRIO_ENCODER), pro, stats, proprioDim, proprioEmb)
                .toByteArray());
        graphs.put(ACTION_ENCODER, rename(raw.get(ACTION_ENCODER), ACTION_ENCODER, act, actionDim, actionEmb)
                .toByteArray());
        graphs.put(PREDICTOR, wrapPredictor(raw.get(PREDICTOR), pred, n, tokenDim).toByteArray());

        smokePredictor(graphs.get(PREDICTOR), numHist, n, tokenDim);

        double[] actionMean = tile(stats.actionMean(), frameskip);
        double[] actionStd = tile(stats.actionStd(), frameskip);
        List<ReferenceCheck> checks = o.reference() == null ? List.of()
                : checkReferences(o.reference(), graphs, stats, n, tokenDim);

        Map<String, String> sourceSha256 = new LinkedHashMap<>();
        for (String c : COMPONENTS) {
            sourceSha256.put(fileOf(c), ModelBundle.sha256(o.onnxDir().resolve(fileOf(c))));
        }
        Map<String, String> exportedNames = new LinkedHashMap<>();
        io.forEach((c, v) -> exportedNames.put(c, v.in() + " -> " + v.out()));
        Map<String, Double> referenceError = null;
        if (!checks.isEmpty()) {
            referenceError = new LinkedHashMap<>();
            for (ReferenceCheck ch : checks) {
                referenceError.put(ch.component(), ch.relative());
            }
        }
        ImportProvenance provenance = new ImportProvenance(o.onnxDir().toAbsolutePath().normalize().toString(),
                sourceSha256, o.stats().toAbsolutePath().normalize().toString(), stats.source(), exportedNames,
                referenceError);
        BundleManifest manifest = BundleManifest.builder()
                .name(o.name() != null ? o.name() : "dinowm-" + o.environment())
                .environment(o.environment())
                // trained on DINO-WM's renderings: every path that plans with it draws them (PushT's differ from qwm's)
                .frameStyle(FRAME_STYLE)
                .imageSize(imageSize).patchSize(imageSize / side).numPatches(n).latentDim(latentDim)
                .proprioDim(proprioDim).proprioEmbDim(proprioEmb).actionDim(actionDim).actionEmbDim(actionEmb)
                .numHist(numHist).frameskip(frameskip)
                .actionNormalisation(actionMean, actionStd)
                .proprioNormalisation(stats.proprioMean(), stats.proprioStd())
                .provenance(provenance)
                .build();
        return new Prepared(manifest, graphs, checks);
    }

    // ---- finding the tensors ------------------------------------------------------------------------------------

    /** A component's chosen input and output, with the input's declared shape and the output's shape on a probe. */
    record Io(String in, long[] inShape, String out, long[] outShape) {
    }

    /** Picks the input and output and learns the output's shape by running the graph once on zeros. */
    private static Io probe(String c, ModelProto m, Options o) {
        byte[] bytes = m.toByteArray();
        try (OnnxSession s = OrtRuntime.open(bytes, c, SessionConfig.singleThreaded())) {
            int wantRank = c.equals(VISUAL_ENCODER) ? 4 : 3;
            String in = pick(c, "input", s.inputNames(), o.inputNames().get(c),
                    name -> s.inputShape(name).length == wantRank, "rank " + wantRank);
            long[] inShape = s.inputShape(in);
            if (s.inputNames().size() > 1) {
                throw refuse(c, "has inputs " + s.inputNames() + "; DINO-WM's module takes one tensor");
            }
            String out = pick(c, "output", s.outputNames(), o.outputNames().get(c),
                    name -> s.outputShape(name).length == 3, "rank 3");
            long[] probe = inShape.clone();
            for (int i = 0; i < probe.length; i++) {
                if (probe[i] <= 0) {
                    // batch 1; one frame; for the predictor's token axis, filled in once the encoder's N is known
                    probe[i] = c.equals(PREDICTOR) && i == 1 ? -1 : 1;
                }
            }
            if (c.equals(PREDICTOR)) {
                return new Io(in, inShape, out, inShape.clone());
            }
            long[] outShape = runShape(c, s, in, probe, out);
            return new Io(in, inShape, out, outShape);
        } catch (OnnxRuntimeException e) {
            throw refuse(c, e.getMessage());
        }
    }

    private static String pick(String c, String what, java.util.Set<String> names, String given,
                               java.util.function.Predicate<String> fits, String fitting) {
        if (given != null) {
            if (!names.contains(given)) {
                throw refuse(c, "has no " + what + " '" + given + "' (it has " + names + ")");
            }
            return given;
        }
        List<String> candidates = names.stream().filter(fits).toList();
        if (candidates.size() != 1) {
            throw refuse(c, (candidates.isEmpty() ? "has no " : "has several ") + what + "s of " + fitting
                    + " (" + names + "); name one with --" + what + "-name " + c + "=NAME");
        }
        return candidates.get(0);
    }

    private static long[] runShape(String c, OnnxSession s, String in, long[] shape, String out) {
        int count = (int) Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        try (OnnxTensor t = OnnxTensor.createTensor(OrtRuntime.environment(), OrtRuntime.directFloats(count), shape);
             OrtSession.Result r = s.run(Map.of(in, t), java.util.Set.of(out))) {
            return ((OnnxTensor) r.get(out).orElseThrow()).getInfo().getShape();
        } catch (ai.onnxruntime.OrtException e) {
            throw refuse(c, "cannot run on " + shape(shape) + ": " + e.getMessage());
        }
    }

    /** The wrapped predictor over a full window ([1,numHist,N,E] zeros) must give that shape back. */
    private static void smokePredictor(byte[] graph, int numHist, int n, int tokenDim) {
        long[] shape = {1, numHist, n, tokenDim};
        try (OnnxSession s = OrtRuntime.open(graph, PREDICTOR, SessionConfig.singleThreaded())) {
            long[] got = runShape(PREDICTOR, s, INPUT.get(PREDICTOR), shape, OUTPUT.get(PREDICTOR));
            if (!Arrays.equals(got, shape)) {
                throw refuse(PREDICTOR, "gives " + shape(got) + " for a window " + shape(shape)
                        + "; DINO-WM's predictor keeps the shape");
            }
        } catch (OnnxRuntimeException e) {
            throw refuse(PREDICTOR, e.getMessage());
        }
    }

    private static void requireSequence(String c, Io io) {
        long[] in = io.inShape();
        long[] out = io.outShape();
        if (in.length != 3 || in[2] <= 0 || out.length != 3) {
            throw refuse(c, "input '" + io.in() + "' is " + shape(in) + " and output '" + io.out() + "' "
                    + shape(out) + "; expected [B,T,dim] -> [B,T,emb]");
        }
    }

    /** Tokens of DINO-WM's ViTPredictor.pos_embedding, {@code [1, num_frames·num_patches, dim]}; -1 if none. */
    private static long positionTokens(ModelProto m, int tokenDim) {
        long found = -1;
        for (TensorProto t : m.getGraph().getInitializerList()) {
            long[] d = TensorData.dims(t);
            if (d.length == 3 && d[0] == 1 && d[2] == tokenDim && d[1] > 1) {
                if (found > 0 && found != d[1]) {
                    return -1;
                }
                found = d[1];
            }
        }
        return found;
    }

    // ---- graph surgery ------------------------------------------------------------------------------------------

    private static ModelProto wrapVisual(ModelProto m, Io io, int size, int n, int d) {
        GraphEditor e = GraphEditor.of(m);
        String inner = detachInput(e, io.in());
        String images = INPUT.get(VISUAL_ENCODER);
        String f = e.freshName("images_float");
        String s = e.freshName("images_unit");
        String c = e.freshName("images_centred");
        String x = e.freshName("images_normalised");
        String k255 = constant(e, "k255", 255f);
        String half = constant(e, "k0_5", 0.5f);
        e.prependNodes(List.of(
                Nodes.node("Cast", e.freshName("dinowm_cast"), List.of(images), List.of(f),
                        Nodes.intAttr("to", DataType.FLOAT_VALUE)),
                Nodes.node("Div", e.freshName("dinowm_to_unit"), List.of(f, k255), List.of(s)),
                // DINO-WM's transforms.Normalize([0.5]*3, [0.5]*3): (x - 0.5) / 0.5
                Nodes.node("Sub", e.freshName("dinowm_normalize_sub"), List.of(s, half), List.of(c)),
                Nodes.node("Div", e.freshName("dinowm_normalize_div"), List.of(c, half), List.of(x)),
                Nodes.node("Transpose", e.freshName("dinowm_hwc_to_chw"), List.of(x), List.of(inner),
                        Nodes.intsAttr("perm", 0, 3, 1, 2))));
        e.addInput(ValueInfos.tensor(images, DataType.UINT8_VALUE, "B", size, size, 3));
        attachOutput(e, io.out(), OUTPUT.get(VISUAL_ENCODER), "B", n, d);
        return e.build();
    }

    private static ModelProto wrapProprio(ModelProto m, Io io, Stats stats, int p, int emb) {
        GraphEditor e = GraphEditor.of(m);
        String inner = detachInput(e, io.in());
        String proprio = INPUT.get(PROPRIO_ENCODER);
        String mean = e.freshName("proprio_mean");
        String std = e.freshName("proprio_std");
        e.putInitializer(TensorData.floats(mean, toFloats(stats.proprioMean()), p));
        e.putInitializer(TensorData.floats(std, toFloats(stats.proprioStd()), p));
        String centred = e.freshName("proprio_centred");
        // DINO-WM's dataset: (proprio - proprio_mean) / proprio_std
        e.prependNodes(List.of(
                Nodes.node("Sub", e.freshName("dinowm_proprio_sub"), List.of(proprio, mean), List.of(centred)),
                Nodes.node("Div", e.freshName("dinowm_proprio_div"), List.of(centred, std), List.of(inner))));
        e.addInput(ValueInfos.tensor(proprio, DataType.FLOAT_VALUE, "B", "T", p));
        attachOutput(e, io.out(), OUTPUT.get(PROPRIO_ENCODER), "B", "T", emb);
        return e.build();
    }

    private static ModelProto rename(ModelProto m, String c, Io io, int in, int out) {
        GraphEditor e = GraphEditor.of(m);
        String inner = detachInput(e, io.in());
        e.prependNodes(List.of(Nodes.node("Identity", e.freshName("dinowm_input"), List.of(INPUT.get(c)),
                List.of(inner))));
        e.addInput(ValueInfos.tensor(INPUT.get(c), DataType.FLOAT_VALUE, "B", "T", in));
        attachOutput(e, io.out(), OUTPUT.get(c), "B", "T", out);
        return e.build();
    }

    private static ModelProto wrapPredictor(ModelProto m, Io io, int n, int tokenDim) {
        GraphEditor e = GraphEditor.of(m);
        String inner = detachInput(e, io.in());
        String z = INPUT.get(PREDICTOR);
        String zShape = e.freshName("z_shape");
        String flat = e.freshName("flat_shape");
        // [B,T,N,E] -> [B,T*N,E], DINO-WM's rearrange "b t p d -> b (t p) d" (0 keeps B, -1 takes T*N)
        e.putInitializer(TensorData.int64s(flat, new long[]{0, -1, tokenDim}, 3));
        e.prependNodes(List.of(
                Nodes.node("Shape", e.freshName("dinowm_z_shape"), List.of(z), List.of(zShape)),
                Nodes.node("Reshape", e.freshName("dinowm_frames_to_tokens"), List.of(z, flat), List.of(inner))));
        e.addInput(ValueInfos.tensor(z, DataType.FLOAT_VALUE, "B", "T", n, tokenDim));
        String out = io.out();
        e.removeOutput(out);
        String zPred = OUTPUT.get(PREDICTOR);
        requireFree(e, PREDICTOR, zPred);
        // and back: "b (t p) d -> b t p d", the input's own shape
        e.appendNodes(List.of(Nodes.node("Reshape", e.freshName("dinowm_tokens_to_frames"), List.of(out, zShape),
                List.of(zPred))));
        e.addOutput(ValueInfos.tensor(zPred, DataType.FLOAT_VALUE, "B", "T", n, tokenDim));
        return e.build();
    }

    /** Moves every reader of graph input {@code name} to a fresh tensor that prepended nodes will produce. */
    private static String detachInput(GraphEditor e, String name) {
        String inner = e.freshName(name + "_dinowm");
        e.renameInputs(name, inner);
        e.removeInput(name);
        return inner;
    }

    private static void attachOutput(GraphEditor e, String out, String name, Object... dims) {
        e.removeOutput(out);
        requireFree(e, name, name);
        e.appendNodes(List.of(Nodes.node("Identity", e.freshName("dinowm_output"), List.of(out), List.of(name))));
        e.addOutput(ValueInfos.tensor(name, DataType.FLOAT_VALUE, dims));
    }

    private static void requireFree(GraphEditor e, String c, String name) {
        if (e.isUsed(name)) {
            throw refuse(c, "already uses the name '" + name + "' inside, which qwm's contract gives its output");
        }
    }

    private static String constant(GraphEditor e, String base, float v) {
        String name = e.freshName(base);
        e.putInitializer(TensorData.floats(name, new float[]{v}));
        return name;
    }

    // ---- reference vectors --------------------------------------------------------------------------------------

    private static List<ReferenceCheck> checkReferences(Path dir, Map<String, byte[]> graphs, Stats stats, int n,
                                                        int tokenDim) {
        List<ReferenceCheck> checks = new ArrayList<>();
        for (String c : COMPONENTS) {
            Npy input = Npy.read(dir.resolve(c + ".input.npy"));
            Npy expected = Npy.read(dir.resolve(c + ".expected.npy"));
            try (OnnxSession s = OrtRuntime.open(graphs.get(c), c, SessionConfig.fromSystemProperties());
                 OnnxTensor t = wrappedInput(c, input, stats, n, tokenDim);
                 OrtSession.Result r = s.run(Map.of(INPUT.get(c), t))) {
                OnnxTensor out = (OnnxTensor) r.get(OUTPUT.get(c)).orElseThrow();
                long outCount = Arrays.stream(out.getInfo().getShape()).reduce(1, (a, b) -> a * b);
                if (outCount != expected.data().length) {
                    throw new IllegalArgumentException("--reference: " + c + " gives " + shape(out.getInfo().getShape())
                            + " for " + c + ".input.npy " + shape(input.shape()) + ", " + c + ".expected.npy is "
                            + shape(expected.shape()));
                }
                FloatBuffer got = out.getFloatBuffer();
                ReferenceCheck check = compare(c, expected, got);
                if (check.relative() > REFERENCE_TOLERANCE) {
                    throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                            "--reference: %s differs from %s.expected.npy by %.3g at %s (%.3g of its largest value "
                                    + "%.4g; allowed %.0e)", c, c, check.maxAbsDiff(),
                            Arrays.toString(check.worstIndex()), check.relative(), check.maxAbsExpected(),
                            REFERENCE_TOLERANCE));
                }
                checks.add(check);
            } catch (ai.onnxruntime.OrtException e) {
                throw refuse(c, "cannot run its reference input: " + e.getMessage());
            }
        }
        return checks;
    }

    /** The reference input, which is DINO-WM's module input, turned into what the wrapped graph takes. */
    private static OnnxTensor wrappedInput(String c, Npy in, Stats stats, int n, int tokenDim)
            throws ai.onnxruntime.OrtException {
        long[] s = in.shape();
        float[] x = in.data();
        switch (c) {
            case VISUAL_ENCODER -> {
                if (s.length != 4 || s[1] != 3) {
                    throw new IllegalArgumentException("--reference: " + c + ".input.npy is " + shape(s)
                            + ", expected [B,3,S,S]");
                }
                int b = (int) s[0], h = (int) s[2], w = (int) s[3];
                ByteBuffer u = OrtRuntime.directBytes(x.length);
                for (int bi = 0; bi < b; bi++) {
                    for (int y = 0; y < h; y++) {
                        for (int xx = 0; xx < w; xx++) {
                            for (int ch = 0; ch < 3; ch++) {
                                int src = ((bi * 3 + ch) * h + y) * w + xx;
                                double v = (x[src] * 0.5 + 0.5) * 255.0;
                                long p = Math.round(v);
                                if (p < 0 || p > 255 || Math.abs(v - p) > 1e-3) {
                                    throw new IllegalArgumentException("--reference: " + c + ".input.npy element "
                                            + Arrays.toString(new int[]{bi, ch, y, xx}) + " = " + x[src]
                                            + " is no uint8 pixel after DINO-WM's Normalize(0.5, 0.5); qwm's encoder "
                                            + "takes uint8 frames, so the reference image must come from one");
                                }
                                u.put((byte) p);
                            }
                        }
                    }
                }
                u.rewind();
                return OnnxTensor.createTensor(OrtRuntime.environment(), u, new long[]{b, h, w, 3},
                        ai.onnxruntime.OnnxJavaType.UINT8);
            }
            case PROPRIO_ENCODER -> {
                // the module takes normalised proprio; the wrapped graph normalises raw proprio itself
                FloatBuffer f = OrtRuntime.directFloats(x.length);
                int p = stats.proprioMean().length;
                for (int i = 0; i < x.length; i++) {
                    f.put((float) (x[i] * stats.proprioStd()[i % p] + stats.proprioMean()[i % p]));
                }
                f.rewind();
                return OnnxTensor.createTensor(OrtRuntime.environment(), f, s);
            }
            case PREDICTOR -> {
                if (s.length != 3 || s[1] % n != 0 || s[2] != tokenDim) {
                    throw new IllegalArgumentException("--reference: " + c + ".input.npy is " + shape(s)
                            + ", expected [B,T*" + n + "," + tokenDim + "]");
                }
                FloatBuffer f = OrtRuntime.directFloats(x.length).put(x);
                f.rewind();
                return OnnxTensor.createTensor(OrtRuntime.environment(), f, new long[]{s[0], s[1] / n, n, s[2]});
            }
            default -> {
                FloatBuffer f = OrtRuntime.directFloats(x.length).put(x);
                f.rewind();
                return OnnxTensor.createTensor(OrtRuntime.environment(), f, s);
            }
        }
    }

    private static ReferenceCheck compare(String c, Npy expected, FloatBuffer got) {
        float[] e = expected.data();
        double maxE = 0;
        double maxD = -1;
        int worst = 0;
        for (int i = 0; i < e.length; i++) {
            maxE = Math.max(maxE, Math.abs(e[i]));
            double d = Math.abs(got.get(i) - e[i]);
            if (!(d <= maxD)) { // NaN counts as the worst
                maxD = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
                worst = i;
            }
        }
        long[] idx = new long[expected.shape().length];
        long rest = worst;
        for (int k = idx.length - 1; k >= 0; k--) {
            idx[k] = rest % expected.shape()[k];
            rest /= expected.shape()[k];
        }
        return new ReferenceCheck(c, maxD, maxE, idx);
    }

    // ---- statistics ---------------------------------------------------------------------------------------------

    /** DINO-WM's dataset statistics: actions per environment action dimension (before frameskip), proprio. */
    record Stats(double[] actionMean, double[] actionStd, double[] proprioMean, double[] proprioStd, String source) {

        static Stats read(Path file) {
            JsonNode tree;
            try {
                tree = JSON.readTree(file.toFile());
            } catch (java.io.FileNotFoundException e) {
                throw new IllegalArgumentException("--stats " + file + ": no such file");
            } catch (IOException e) {
                throw new IllegalArgumentException("--stats " + file + ": not valid JSON: " + e.getMessage());
            }
            if (tree == null || !tree.isObject()) {
                throw new IllegalArgumentException("--stats " + file + ": expected a JSON object");
            }
            Stats s = new Stats(array(file, tree, "actionMean"), array(file, tree, "actionStd"),
                    array(file, tree, "proprioMean"), array(file, tree, "proprioStd"),
                    tree.hasNonNull("source") ? tree.get("source").asText() : null);
            for (double[] std : List.of(s.actionStd(), s.proprioStd())) {
                for (double v : std) {
                    if (!(v > 0) || !Double.isFinite(v)) {
                        throw new IllegalArgumentException("--stats " + file + ": a standard deviation is " + v
                                + "; every one must be positive");
                    }
                }
            }
            return s;
        }

        private static double[] array(Path file, JsonNode tree, String field) {
            JsonNode a = tree.get(field);
            if (a == null || !a.isArray()) {
                throw new IllegalArgumentException("--stats " + file + ": no array '" + field
                        + "' (needed: actionMean, actionStd, proprioMean, proprioStd)");
            }
            double[] v = new double[a.size()];
            for (int i = 0; i < v.length; i++) {
                if (!a.get(i).isNumber()) {
                    throw new IllegalArgumentException("--stats " + file + ": " + field + "[" + i + "] is not a number");
                }
                v[i] = a.get(i).asDouble();
            }
            return v;
        }
    }

    // ---- small helpers ------------------------------------------------------------------------------------------

    private static IllegalArgumentException refuse(String component, String why) {
        return new IllegalArgumentException(component + " (" + fileOf(component) + "): " + why);
    }

    static String shape(long[] s) {
        return Arrays.stream(s).mapToObj(d -> d < 0 ? "?" : Long.toString(d))
                .collect(Collectors.joining(",", "[", "]"));
    }

    private static double[] tile(double[] v, int times) {
        double[] out = new double[v.length * times];
        for (int i = 0; i < out.length; i++) {
            out[i] = v[i % v.length];
        }
        return out;
    }

    private static float[] toFloats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }
}
