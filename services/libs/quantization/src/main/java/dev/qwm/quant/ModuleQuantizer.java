package dev.qwm.quant;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.qwm.onnx.graph.AttentionCores;
import dev.qwm.onnx.graph.GraphEditor;
import dev.qwm.onnx.graph.GraphIndex;
import dev.qwm.onnx.graph.LinearLayer;
import dev.qwm.onnx.graph.OptimizedGraphs;
import dev.qwm.onnx.graph.SkipLayerNorms;
import dev.qwm.onnx.graph.TensorData;
import dev.qwm.onnx.runtime.CpuFeatures;
import dev.qwm.onnx.runtime.SessionConfig;
import dev.qwm.quant.calib.ActivationCollector;
import dev.qwm.quant.calib.BlockSnapshot;
import dev.qwm.quant.calib.CalibrationData;
import dev.qwm.quant.calib.TensorStatistics;
import dev.qwm.quant.core.ActivationParams;
import dev.qwm.quant.core.ErrorMetrics;
import dev.qwm.quant.core.FakeQuantLinear;
import dev.qwm.quant.core.LinearAlgebra;
import dev.qwm.quant.core.Outliers;
import dev.qwm.quant.core.QuantizedWeights;
import dev.qwm.quant.emit.EmitOptions;
import dev.qwm.quant.emit.EmittedModel;
import dev.qwm.quant.emit.LayerKernel;
import dev.qwm.quant.emit.OnnxEmitter;
import dev.qwm.quant.emit.QuantizedAttention;
import dev.qwm.quant.emit.QuantizedLayer;
import dev.qwm.quant.manifest.AttentionReport;
import dev.qwm.quant.manifest.GroupReport;
import dev.qwm.quant.manifest.LayerReport;
import dev.qwm.quant.manifest.ModuleReport;
import dev.qwm.quant.manifest.ModuleWeightBytes;
import dev.qwm.quant.methods.Methods;
import dev.qwm.quant.methods.QuantizationMethod;
import dev.qwm.quant.methods.QuantizationMethod.Transform;
import dev.qwm.quant.recipe.ActivationSpec;
import dev.qwm.quant.recipe.AttentionProducts;
import dev.qwm.quant.recipe.CalibrationSettings;
import dev.qwm.quant.recipe.LayerNormOp;
import dev.qwm.quant.recipe.LayerPlan;
import dev.qwm.quant.recipe.MethodOptions;
import dev.qwm.quant.recipe.ModuleRecipe;
import dev.qwm.quant.recipe.QuantMethod;
import dev.qwm.quant.recipe.RecipeBinder;
import dev.qwm.quant.recipe.RecipeException;
import dev.qwm.quant.recipe.WorldModelModule;
import dev.qwm.quant.transform.Block;
import dev.qwm.quant.transform.BlockEvaluator;
import dev.qwm.quant.transform.EquivalentTransform;
import dev.qwm.quant.transform.GroupContext;
import dev.qwm.quant.transform.GroupDecision;
import dev.qwm.quant.transform.GroupObjective;
import dev.qwm.quant.transform.LayerGroup;
import dev.qwm.quant.transform.RowsObjective;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Quantizes one module's ONNX graph by a module recipe: binds the recipe to the graph's linear layers, calibrates
 * (streaming statistics out of the float model while the feed runs it), folds the equivalent transforms
 * (SmoothQuant, AWQ, OmniQuant) into LayerNorms and weights, quantizes every planned layer's weights with its method,
 * fixes static activation parameters from the (transformed) calibration ranges, writes the graph with ORT's integer
 * kernels, checks which kernels ORT really runs, and reports per-layer errors on calibration data.
 *
 * <p>Statistics of transformed inputs are derived exactly from those of the float model (see
 * {@link TensorStatistics#transformed}); every layer is calibrated on float-model inputs (not on the outputs of
 * already-quantized layers), as QuantWM's calibration pass does.
 */
public final class ModuleQuantizer {

    /** Tokens of calibration snapshots a block candidate is judged on (AWQ's auto_clip used 512, OmniQuant 128×2048). */
    static final long BLOCK_TOKEN_BUDGET = 8192;

    /** Rows of calibration data each layer's output error is measured on. */
    static final int REPORT_ROWS = 1024;

    /**
     * @param cpu the CPU the graph is emitted for: it picks kernel variants that compute the same numbers (u8×s8 or
     *            u8×u8), never the numbers; {@link CpuFeatures#current()} unless a test names another
     */
    public record Options(EmitOptions emit, SessionConfig ort, Progress progress, CpuFeatures cpu) {
        public Options(EmitOptions emit, SessionConfig ort, Progress progress) {
            this(emit, ort, progress, CpuFeatures.current());
        }

        public static Options defaults() {
            return new Options(EmitOptions.DEFAULTS, SessionConfig.singleThreaded(), Progress.NONE);
        }

        public Options withProgress(Progress p) {
            return new Options(emit, ort, p, cpu);
        }

        public Options withEmit(EmitOptions e) {
            return new Options(e, ort, progress, cpu);
        }

        public Options withCpu(CpuFeatures c) {
            return new Options(emit, ort, progress, c);
        }
    }

    /**
     * @param model                  the quantized graph
     * @param transformedFloatModel  the float graph after the equivalent transforms (same function as the source)
     * @param layers                 the quantized layers, to emit again (e.g. as fake quantization for reference)
     */
    public record Result(ModelProto model, ModelProto transformedFloatModel, List<QuantizedLayer> layers,
                         ModuleReport report, CalibrationData calibration) {
    }

    private ModuleQuantizer() {
    }

    /**
     * A module recipe bound to a graph: its layer plans, the transform method of each LayerNorm group, and what
     * calibration must observe. Make one collector for it ({@link #newCollector}), run calibration (possibly together
     * with other modules' collectors, in one planning pass), then {@link #finish}.
     */
    public static final class Prepared {
        final ModelProto source;
        final ModelProto model;
        final WorldModelModule module;
        final GraphIndex index;
        final List<LinearLayer> all;
        final List<LayerPlan> plans;
        final Map<String, LayerPlan> planByName = new LinkedHashMap<>();
        final Map<LayerGroup, QuantMethod> groupMethod = new LinkedHashMap<>();
        final Map<String, LayerGroup> groupOfLayer = new HashMap<>();
        final Map<String, Block> blocks = new LinkedHashMap<>();
        final List<ActivationCollector.TensorRequest> tensorRequests = new ArrayList<>();
        final List<ActivationCollector.SnapshotRequest> snapshotRequests = new ArrayList<>();
        /** The attention cores whose products the recipe runs in int8 (empty unless {@code attention: int8}). */
        final List<AttentionCores.Core> attention;
        final List<String> rangeRequests = new ArrayList<>();
        final boolean needsCalibration;
        final LayerNormOp layerNorm;

        private Prepared(ModelProto source, WorldModelModule module, ModuleRecipe recipe) {
            this.source = source;
            this.layerNorm = recipe.layerNormOp();
            this.module = module;
            this.model = GraphEditor.untieIdentityInitializers(GraphEditor.nameNodes(source));
            this.index = GraphIndex.of(model);
            this.all = LinearLayer.findAll(model);
            this.plans = RecipeBinder.bind(module, recipe, all);
            plans.forEach(p -> planByName.put(p.name(), p));
            for (LayerGroup g : LayerGroup.find(model, all)) {
                Set<QuantMethod> methods = new LinkedHashSet<>();
                for (LinearLayer l : g.layers()) {
                    LayerPlan p = planByName.get(l.name());
                    if (p != null && Methods.of(p.method()).transform() != Transform.NONE) {
                        methods.add(p.method());
                    }
                    groupOfLayer.put(l.name(), g);
                }
                if (methods.size() > 1) {
                    throw new RecipeException("modules." + module.id() + ": layers reading LayerNorm '" + g.norm().name()
                            + "' ask for different input transforms " + methods + "; they share one input, so they need one");
                }
                if (!methods.isEmpty()) {
                    groupMethod.put(g, methods.iterator().next());
                }
            }
            if (recipe.attentionProducts() == AttentionProducts.INT8) {
                this.attention = AttentionCores.find(model);
                if (attention.isEmpty()) {
                    throw new RecipeException("modules." + module.id() + ": attention: int8, but the " + module.component()
                            + " graph has no attention core (MatMul of two activations, optional scale and mask, "
                            + "Softmax over the last axis, MatMul by v) whose products could be quantized");
                }
                for (AttentionCores.Core c : attention) {
                    rangeRequests.addAll(List.of(c.query(), c.key(), c.probabilities(), c.value()));
                }
            } else {
                this.attention = List.of();
            }
            // only static activation ranges need data; per-token and in-kernel parameters are computed at run time
            this.needsCalibration = !attention.isEmpty()
                    || plans.stream().anyMatch(p -> p.method().needsCalibration() || p.activations().isStatic());
            Map<String, Boolean> gram = new LinkedHashMap<>();
            Map<String, Integer> width = new LinkedHashMap<>();
            for (LayerPlan p : plans) {
                boolean g = Methods.of(p.method()).needsGram(p.options());
                gram.merge(p.layer().inputName(), g, Boolean::logicalOr);
                width.put(p.layer().inputName(), p.layer().inFeatures());
            }
            gram.forEach((t, g) -> tensorRequests.add(new ActivationCollector.TensorRequest(t, width.get(t), g)));
            for (var e : groupMethod.entrySet()) {
                if (Methods.of(e.getValue()).transform() == Transform.SEARCHED_ON_BLOCK_OUTPUT && e.getKey().foldable()) {
                    Block b = Block.of(model, e.getKey());
                    blocks.put(e.getKey().norm().name(), b);
                    snapshotRequests.add(new ActivationCollector.SnapshotRequest(b.input(), b.graphInputs()));
                }
            }
        }

        public WorldModelModule module() {
            return module;
        }

        /** The layers the recipe quantizes. */
        public List<LayerPlan> plans() {
            return plans;
        }

        /** Whether the recipe cannot be applied without calibration data. */
        public boolean needsCalibration() {
            return needsCalibration;
        }

        /** A collector observing what this recipe needs, over the (node-named) float model. */
        public ActivationCollector newCollector(CalibrationSettings settings, SessionConfig config) {
            return new ActivationCollector(model, tensorRequests, snapshotRequests, rangeRequests, settings, config);
        }
    }

    public static Prepared prepare(ModelProto source, WorldModelModule module, ModuleRecipe recipe) {
        return new Prepared(source, module, recipe);
    }

    /** Prepares, calibrates with {@code feed} (null: none), and finishes. */
    public static Result quantize(ModelProto source, WorldModelModule module, ModuleRecipe recipe,
                                  CalibrationSettings calibration, CalibrationFeed feed, Options options) {
        Prepared prepared = prepare(source, module, recipe);
        if (prepared.needsCalibration && feed == null) {
            throw new RecipeException("modules." + module.id() + ": the recipe needs calibration data "
                    + "(data-aware methods, quantized activations or int8 attention), and none was given");
        }
        CalibrationData data = null;
        if (feed != null && (!prepared.plans.isEmpty() || !prepared.attention.isEmpty())) {
            try (ActivationCollector collector = prepared.newCollector(calibration, options.ort())) {
                feed.feed(collector);
                data = collector.result();
            } catch (RecipeException | IllegalArgumentException | IllegalStateException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("calibration failed: " + e.getMessage(), e);
            }
        }
        return finish(prepared, data, options);
    }

    /** Quantizes with the calibration data gathered by the prepared recipe's collector (null if none was needed). */
    public static Result finish(Prepared prepared, CalibrationData data, Options options) {
        if (prepared.needsCalibration && (data == null || data.batches() == 0)) {
            throw new IllegalStateException("modules." + prepared.module.id() + ": calibration ran the model on no data");
        }
        ModelProto source = prepared.source;
        ModelProto model = prepared.model;
        WorldModelModule module = prepared.module;
        GraphIndex index = prepared.index;
        List<LinearLayer> all = prepared.all;
        List<LayerPlan> plans = prepared.plans;
        Map<String, LayerPlan> planByName = prepared.planByName;
        Map<LayerGroup, QuantMethod> groupMethod = prepared.groupMethod;
        Map<String, LayerGroup> groupOfLayer = prepared.groupOfLayer;
        Map<String, Block> blocks = prepared.blocks;

        // Equivalent transforms, folded into the working model
        GraphEditor editor = GraphEditor.of(model);
        Map<String, EquivalentTransform> transformOf = new HashMap<>();
        Map<String, QuantizedWeights> chosenWeights = new HashMap<>();
        Map<String, TensorStatistics> statsOf = new HashMap<>();
        Map<String, String> transformNote = new HashMap<>();
        List<GroupReport> groupReports = new ArrayList<>();
        if (data != null) {
            statsOf.putAll(data.tensors());
        }
        options.progress().start("transforms " + module.id(), groupMethod.size());
        for (var e : groupMethod.entrySet()) {
            LayerGroup g = e.getKey();
            QuantMethod method = e.getValue();
            List<String> names = g.layers().stream().map(LinearLayer::name).toList();
            options.progress().step(g.norm().name());
            if (!g.foldable()) {
                groupReports.add(new GroupReport(g.norm().name(), names, method.id(), false, g.reason(), null, null, null, null));
                continue;
            }
            MethodOptions mo = g.layers().stream().map(l -> planByName.get(l.name())).filter(p -> p != null && p.method() == method)
                    .findFirst().orElseThrow().options();
            GroupContext ctx = new GroupContext(index, g, planByName, data.tensor(g.norm().outputName()));
            QuantizationMethod strategy = Methods.of(method);
            GroupDecision d;
            if (strategy.transform() == Transform.SEARCHED_ON_BLOCK_OUTPUT) {
                try (GroupObjective objective = objective(model, blocks.get(g.norm().name()), ctx, data, mo, options)) {
                    d = strategy.decide(ctx, objective, mo);
                }
            } else {
                d = strategy.decide(ctx, null, mo);
            }
            d.transform().applyTo(editor, index, g);
            statsOf.put(g.norm().outputName(), data.tensor(g.norm().outputName()).transformed(d.transform().scale(), d.transform().shift()));
            for (LinearLayer l : g.layers()) {
                transformOf.put(l.name(), d.transform());
                transformNote.put(l.name(), method.id() + " on LayerNorm '" + g.norm().name() + "': " + d.detail());
            }
            chosenWeights.putAll(d.weights());
            groupReports.add(new GroupReport(g.norm().name(), names, method.id(), true, null, d.objective(),
                    finite(d.baselineError()), finite(d.error()), d.detail()));
        }
        options.progress().finish();

        // Weights and activation parameters of every planned layer
        List<QuantizedLayer> quantized = new ArrayList<>();
        List<LayerReport> reports = new ArrayList<>();
        options.progress().start("quantize " + module.id(), plans.size());
        for (LayerPlan p : plans) {
            LinearLayer l = p.layer();
            options.progress().step(l.name());
            EquivalentTransform t = transformOf.getOrDefault(l.name(), EquivalentTransform.identity(l.inFeatures()));
            float[] w = l.readWeightsOutIn(index);
            float[] wt = t.weights(w, l.outFeatures(), l.inFeatures());
            TensorStatistics stats = statsOf.get(l.inputName());
            String note = null;
            if (Methods.of(p.method()).transform() != Transform.NONE && !transformOf.containsKey(l.name())) {
                LayerGroup g = groupOfLayer.get(l.name());
                note = "no input transform: " + (g == null ? "its input is not a LayerNormalization output" : g.reason());
            }
            if (!p.weights().perChannel() && p.weights().groupSize() >= l.inFeatures()) {
                note = (note == null ? "" : note + "; ") + "group " + p.weights().groupSize() + " ≥ input width "
                        + l.inFeatures() + ": one scale per output channel";
            }
            QuantizedWeights q = chosenWeights.containsKey(l.name()) ? chosenWeights.get(l.name()) : weights(p, wt, stats);
            ActivationParams params = null;
            if (p.activations().isStatic()) {
                params = ActivationParams.fromRange(p.activations().bits(), stats.min(), stats.max());
            }
            quantized.add(new QuantizedLayer(l, q, p.activations(), params));
            reports.add(layerReport(p, index, t, w, wt, q, params, data, transformNote.get(l.name()), note));
        }
        options.progress().finish();

        // attention's products: one static uint8 (scale, zero point) per input tensor, from the same calibration
        List<QuantizedAttention> attention = new ArrayList<>();
        for (AttentionCores.Core c : prepared.attention) {
            attention.add(new QuantizedAttention(c, rangeParams(data, c.query()), rangeParams(data, c.key()),
                    rangeParams(data, c.probabilities()), rangeParams(data, c.value())));
        }

        ModelProto transformedFloat = editor.build();
        EmittedModel emitted = OnnxEmitter.emit(transformedFloat, quantized, attention, options.emit());
        ModelProto emittedModel = emitted.model();
        List<String> skipLayerNorms = null;
        if (prepared.layerNorm == LayerNormOp.SKIP) {
            // after calibration and the transforms (which read and fold into LayerNormalization): the recipe's operator
            SkipLayerNorms.Result r = SkipLayerNorms.rewrite(emittedModel);
            emittedModel = r.model();
            skipLayerNorms = r.fused();
        }
        Map<String, Integer> runtimeOps = OptimizedGraphs.runtimeOpTypeCounts(emittedModel);
        int unfused = OptimizedGraphs.unfusedDequantize(OptimizedGraphs.optimized(emittedModel));

        // attach kernels to layer reports
        Map<String, LayerKernel> kernelOf = new HashMap<>();
        emitted.kernels().forEach(k -> kernelOf.put(k.layer(), k));
        List<LayerReport> withKernels = reports.stream().map(r -> r.withKernel(kernelOf.get(r.layer()))).toList();
        boolean fullRangeInt8 = quantized.stream().anyMatch(q -> q.weights().spec().bits() == 8
                && q.activations().bits() == 8 && !q.activations().inKernel());
        List<String> floatLayers = all.stream().map(LinearLayer::name).filter(n -> !planByName.containsKey(n)).toList();
        ModuleReport report = new ModuleReport(module.id(), module.component(), withKernels, groupReports, floatLayers,
                source.getSerializedSize(), emittedModel.getSerializedSize(),
                ModuleWeightBytes.of(model, all.stream().map(LinearLayer::name).toList()),
                ModuleWeightBytes.after(emitted.kernels().stream().mapToLong(LayerKernel::weightBytes).sum(),
                        emittedModel, floatLayers),
                fullRangeInt8 ? (emitted.signedInt8Weights() ? "u8s8" : "u8u8") : null, runtimeOps, unfused,
                skipLayerNorms, attention.isEmpty() ? null : attention.stream().map(AttentionReport::of).toList());
        return new Result(emittedModel, transformedFloat, List.copyOf(quantized), report, data);
    }

    private static ActivationParams rangeParams(CalibrationData data, String tensor) {
        float[] r = data.range(tensor);
        return ActivationParams.fromRange(8, r[0], r[1]);
    }

    private static GroupObjective objective(ModelProto model, Block block, GroupContext ctx, CalibrationData data,
                                            MethodOptions mo, Options options) {
        if (block != null) {
            List<BlockSnapshot> snaps = data.snapshots().getOrDefault(block.input(), List.of());
            // each candidate runs the block on every snapshot: cap the tokens (the reservoir is a random sample,
            // so its first snapshots are as good as any)
            List<BlockSnapshot> used = new ArrayList<>();
            long tokens = 0;
            for (BlockSnapshot s : snaps) {
                if (used.size() >= 2 && tokens >= BLOCK_TOKEN_BUDGET) {
                    break;
                }
                used.add(s);
                tokens += s.inputs().get(block.input()).data().length / 4 / ctx.group().width();
            }
            if (!used.isEmpty()) {
                return new BlockEvaluator(model, block, ctx.activationSpecs(), used, options.ort());
            }
        }
        return new RowsObjective(ctx, mo.awq().sampleTokens());
    }

    private static QuantizedWeights weights(LayerPlan p, float[] w, TensorStatistics stats) {
        LinearLayer l = p.layer();
        return Methods.of(p.method()).round(w, l.outFeatures(), l.inFeatures(), p.weights(), stats, p.options());
    }

    private static LayerReport layerReport(LayerPlan p, GraphIndex index, EquivalentTransform t, float[] w, float[] wt,
                                           QuantizedWeights q, ActivationParams params, CalibrationData data,
                                           String transform, String note) {
        LinearLayer l = p.layer();
        double weightMse = ErrorMetrics.mse(wt, q.dequantize());
        Double outMse = null;
        Double sqnr = null;
        Integer rows = null;
        Double channelRatio = null;
        if (data != null && data.tensors().containsKey(l.inputName())) {
            TensorStatistics s = data.tensor(l.inputName());
            channelRatio = finite(Outliers.maxOverMedian(s.channelAbsMax()));
            int n = Math.min(REPORT_ROWS, s.sampledRowCount());
            if (n > 0) {
                float[] x = Arrays.copyOf(s.sampledRows(), n * l.inFeatures());
                float[] bias = l.readBias(index).orElse(null);
                float[] ref = LinearAlgebra.linear(x, n, l.inFeatures(), w, l.outFeatures());
                FakeQuantLinear.addBias(ref, bias, l.outFeatures());
                float[] y = FakeQuantLinear.forward(t.input(x, l.inFeatures()), n, q, p.activations(), params,
                        t.bias(bias, w, l.outFeatures(), l.inFeatures()));
                outMse = ErrorMetrics.mse(ref, y);
                sqnr = finite(ErrorMetrics.sqnrDb(ref, y));
                rows = n;
            }
        }
        return new LayerReport(l.name(), l.inFeatures(), l.outFeatures(), p.method().id(), p.weights().toString(),
                p.activations().toString(), q.layout().groupsPerRow(), transform, numericsDigest(p, q, params), null,
                weightMse, outMse, sqnr, rows, note, channelRatio,
                finite(Outliers.medianRowCrest(w, l.outFeatures(), l.inFeatures())));
    }

    /** SHA-256 of what the layer computes: formats, integer codes, weight scales, static activation parameters. */
    static String numericsDigest(LayerPlan p, QuantizedWeights q, ActivationParams params) {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            md.update((p.weights() + " " + p.activations() + " " + q.layout().groupsPerRow() + "\n")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(q.codes().length + 4 * q.scales().length + 12);
            b.put(q.codes());
            for (float f : q.scales()) {
                b.putInt(Float.floatToIntBits(f));
            }
            if (params != null) {
                b.putInt(params.bits()).putInt(Float.floatToIntBits(params.scale())).putInt(params.zeroPoint());
            }
            md.update(b.array(), 0, b.position());
            return java.util.HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
