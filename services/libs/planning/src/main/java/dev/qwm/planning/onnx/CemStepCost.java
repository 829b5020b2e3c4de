package dev.qwm.planning.onnx;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.graph.GraphFlops;
import dev.qwm.onnx.graph.OnnxModels;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntFunction;

/**
 * FLOP of one CEM step as {@link OnnxDynamics} runs it, counted from the bundle's ONNX graphs ({@link GraphFlops}):
 * one action-encoder call on {@code [B, H, actionDim]} and H predictor calls, call k on {@code [B, min(k+1,
 * numHist), N, E]}. The start and goal are encoded once per plan and are not part of a step. Graphs are counted at
 * batch 1 and 2 and extrapolated linearly (candidates never interact), so large batches cost no memory here.
 *
 * @param predictor     FLOP of the H predictor calls
 * @param actionEncoder FLOP of the action-encoder call
 * @param byOpType      FLOP per op type over both
 */
public record CemStepCost(long predictor, long actionEncoder, Map<String, Long> byOpType) {

    public CemStepCost {
        byOpType = Map.copyOf(byOpType);
    }

    public long flops() {
        return predictor + actionEncoder;
    }

    public double gflop() {
        return flops() / 1e9;
    }

    /** The cost of one CEM step of {@code candidates} x {@code horizon} with {@code bundle}'s dynamics. */
    public static CemStepCost of(ModelBundle bundle, int candidates, int horizon) {
        if (candidates < 1 || horizon < 1) {
            throw new IllegalArgumentException("candidates and horizon must be >= 1, got " + candidates + " x " + horizon);
        }
        BundleManifest m = bundle.manifest();
        Map<String, Long> byOp = new TreeMap<>();
        ModelProto actionEncoder = OnnxModels.read(bundle.componentPath(BundleManifest.ACTION_ENCODER));
        long action = extrapolate(actionEncoder, "actions", b -> new long[] {b, horizon, m.actionDim()}, candidates, byOp);
        ModelProto predictorGraph = OnnxModels.read(bundle.componentPath(BundleManifest.PREDICTOR));
        Map<Integer, Map<String, Long>> perFrames = new HashMap<>();
        long predictor = 0;
        for (int k = 0; k < horizon; k++) {
            int frames = Math.min(k + 1, m.numHist());
            Map<String, Long> call = perFrames.computeIfAbsent(frames, t -> {
                Map<String, Long> ops = new TreeMap<>();
                extrapolate(predictorGraph, "z", b -> new long[] {b, t, m.numPatches(), m.tokenDim()}, candidates, ops);
                return ops;
            });
            for (Map.Entry<String, Long> e : call.entrySet()) {
                byOp.merge(e.getKey(), e.getValue(), Long::sum);
                predictor = Math.addExact(predictor, e.getValue());
            }
        }
        return new CemStepCost(predictor, action, byOp);
    }

    /** FLOP at batch {@code batch} from counts at 1 and 2, added per op type into {@code byOp}; returns the total. */
    private static long extrapolate(ModelProto graph, String input, IntFunction<long[]> shape,
                                    int batch, Map<String, Long> byOp) {
        GraphFlops.Count one = GraphFlops.count(graph, Map.of(input, shape.apply(1)));
        GraphFlops.Count two = GraphFlops.count(graph, Map.of(input, shape.apply(2)));
        long total = 0;
        for (Map.Entry<String, Long> e : two.byOpType().entrySet()) {
            long f1 = one.byOpType().getOrDefault(e.getKey(), 0L);
            long f = Math.addExact(f1, Math.multiplyExact((long) batch - 1, e.getValue() - f1));
            byOp.merge(e.getKey(), f, Long::sum);
            total = Math.addExact(total, f);
        }
        return total;
    }
}
