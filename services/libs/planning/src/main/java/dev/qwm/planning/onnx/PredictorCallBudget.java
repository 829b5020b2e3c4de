package dev.qwm.planning.onnx;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.graph.GraphFlops;

import java.util.Map;

/**
 * The memory one predictor call may take, and so how many CEM candidates go into it. A call's largest activation is
 * the attention scores, {@code heads × L²} floats per candidate for {@code L = frames × patches} tokens, and ONNX
 * Runtime holds a few such tensors at once: at DINO-WM's full size (16 heads, 196 patches, numHist 3, so 588 tokens)
 * the scores are 22 MB per candidate, 6.6 GB per tensor for 300 candidates, and a call's peak memory measured on
 * this project's Xeon was 5-7 times its scores (about 125 MB per candidate; with the calibration outputs about
 * 145 MB). The budget bounds the scores: a batch whose scores exceed it is split into consecutive chunks of as many
 * candidates as fit (at least one); the default, 128 MiB, is 6 candidates per call at full size and full history.
 *
 * <p>Candidates never meet inside the predictor: attention mixes the tokens of one candidate, LayerNorm and the MLP
 * work per token, and quantized activations use ranges fixed by calibration or computed per token. So a chunked call
 * gives bit for bit the outputs of the whole batch ({@code PredictorCallBudgetTest}); only its peak memory changes.
 * The shipped models never reach the default budget (Wall: 16 tokens; PushT: 16; DINO-WM's small export: 392 tokens
 * of 2 heads, 1.2 MB per candidate), so they always run their batch in one call.
 *
 * @param bytes the attention scores one call may hold, in bytes
 */
public record PredictorCallBudget(long bytes) {

    /** System property giving the budget in MiB ({@value #DEFAULT_MIB} by default). */
    public static final String PROPERTY = "qwm.predictor.call-mib";
    /** Environment variable giving the budget in MiB when the property is not set. */
    public static final String ENV = "QWM_PREDICTOR_CALL_MIB";
    public static final long DEFAULT_MIB = 128;
    /** The predictor's input (docs/bundle-contract.md). */
    static final String INPUT = "z";

    public PredictorCallBudget {
        if (bytes < 1) {
            throw new IllegalArgumentException("the predictor call budget must be positive, got " + bytes + " bytes");
        }
    }

    public static PredictorCallBudget ofMiB(long mib) {
        if (mib < 1) {
            throw new IllegalArgumentException("the predictor call budget must be at least 1 MiB, got " + mib);
        }
        return new PredictorCallBudget(Math.multiplyExact(mib, 1L << 20));
    }

    /** No bound: every batch in one call. */
    public static PredictorCallBudget unbounded() {
        return new PredictorCallBudget(Long.MAX_VALUE);
    }

    /** {@code -Dqwm.predictor.call-mib}, else {@code QWM_PREDICTOR_CALL_MIB}, else {@value #DEFAULT_MIB} MiB. */
    public static PredictorCallBudget fromSystemProperties() {
        String env = System.getenv(ENV);
        String value = System.getProperty(PROPERTY, env == null || env.isBlank() ? Long.toString(DEFAULT_MIB) : env);
        try {
            return ofMiB(Long.parseLong(value.trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PROPERTY + " (or " + ENV + ") must be a whole number of MiB, got \""
                    + value + "\"");
        }
    }

    /** The budget applied to one predictor: how many of a batch's candidates each call takes. */
    public Chunking chunking(BundleManifest manifest, ModelProto predictor) {
        return new Chunking(this, manifest.numPatches(), heads(predictor, manifest));
    }

    /**
     * The predictor's attention heads: the widest Softmax input of one run on one candidate's single frame
     * ({@code [1, heads, N, N]}) over {@code N²}, so any export's attention counts, however it writes its heads
     * (torch's exports build their reshapes from the input's shape). A predictor without a Softmax counts as one head.
     */
    static int heads(ModelProto predictor, BundleManifest m) {
        long n = m.numPatches();
        Map<String, long[]> shapes = GraphFlops.shapes(predictor, Map.of(INPUT, new long[] {1, 1, n, m.tokenDim()}));
        long widest = 0;
        for (NodeProto node : predictor.getGraph().getNodeList()) {
            if (node.getOpType().equals("Softmax") && node.getDomain().isEmpty()) {
                long[] shape = shapes.get(node.getInput(0));
                long elements = 1;
                for (long d : shape) {
                    elements *= d;
                }
                widest = Math.max(widest, elements);
            }
        }
        return (int) Math.max(1, (widest + n * n - 1) / (n * n));
    }

    /** A budget bound to one predictor's shape. */
    public record Chunking(PredictorCallBudget budget, int numPatches, int heads) {

        /** Bytes of attention scores one candidate with {@code frames} frames of history adds to a call. */
        public long bytesPerCandidate(int frames) {
            long tokens = (long) frames * numPatches;
            return 4L * heads * tokens * tokens;
        }

        /** Candidates per call for a batch of {@code batch} with {@code frames} frames: all of them when they fit. */
        public int candidatesPerCall(int batch, int frames) {
            long per = bytesPerCandidate(frames);
            if (batch <= budget.bytes() / per) {
                return batch;
            }
            return (int) Math.max(1, budget.bytes() / per);
        }
    }
}
