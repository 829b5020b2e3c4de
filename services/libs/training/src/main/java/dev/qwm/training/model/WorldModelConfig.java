package dev.qwm.training.model;

/**
 * Shape of a DINO-WM-architecture world model (docs/reference/dinowm.md): a ViT visual encoder over image patches,
 * per-step linear proprio and action encoders, and a ViT predictor over tokens of width
 * {@code latentDim + proprioEmbDim + actionEmbDim} (concat_dim=1).
 *
 * @param imageSize         square input image side, pixels
 * @param patchSize         patch side; {@code imageSize} must be a multiple
 * @param latentDim         D: encoder width and visual latent width per patch
 * @param encoderDepth      encoder transformer blocks
 * @param encoderHeads      encoder attention heads (head dim = D / heads)
 * @param encoderMlpDim     encoder MLP hidden width
 * @param proprioDim        raw proprio dimension (2 for Wall, 4 for PushT)
 * @param proprioEmbDim     proprio embedding width (10 as DINO-WM)
 * @param actionDim         macro action dimension = env action dim x frameskip (10)
 * @param actionEmbDim      action embedding width (10 as DINO-WM)
 * @param predictorDepth    predictor transformer blocks
 * @param predictorHeads    predictor attention heads
 * @param predictorHeadDim  predictor per-head width (inner attention width = heads x headDim)
 * @param predictorMlpDim   predictor MLP hidden width
 * @param numHist           frames of history the predictor sees (1 for Wall, up to 3 for PushT)
 * @param frameskip         env steps per macro action
 */
public record WorldModelConfig(
        int imageSize,
        int patchSize,
        int latentDim,
        int encoderDepth,
        int encoderHeads,
        int encoderMlpDim,
        int proprioDim,
        int proprioEmbDim,
        int actionDim,
        int actionEmbDim,
        int predictorDepth,
        int predictorHeads,
        int predictorHeadDim,
        int predictorMlpDim,
        int numHist,
        int frameskip) {

    /** LayerNorm epsilon everywhere (PyTorch's default; ViT uses 1e-6, which changes nothing that matters here). */
    public static final float LAYER_NORM_EPS = 1e-5f;

    public WorldModelConfig {
        require(imageSize > 0 && patchSize > 0 && imageSize % patchSize == 0,
                "imageSize " + imageSize + " must be a positive multiple of patchSize " + patchSize);
        require(latentDim > 0 && encoderHeads > 0 && latentDim % encoderHeads == 0,
                "latentDim " + latentDim + " must be divisible by encoderHeads " + encoderHeads);
        require(encoderDepth >= 0 && predictorDepth >= 1, "encoderDepth >= 0 and predictorDepth >= 1 required");
        require(encoderMlpDim > 0 && predictorMlpDim > 0 && predictorHeads > 0 && predictorHeadDim > 0,
                "MLP widths, predictor heads and head dim must be positive");
        require(proprioDim > 0 && proprioEmbDim > 0 && actionDim > 0 && actionEmbDim > 0,
                "proprio/action dims and embedding dims must be positive");
        require(numHist >= 1 && numHist <= 16, "numHist must be in 1..16, got " + numHist);
        require(frameskip >= 1, "frameskip must be >= 1");
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    public int gridSize() {
        return imageSize / patchSize;
    }

    /** N: patch tokens per frame. */
    public int numPatches() {
        return gridSize() * gridSize();
    }

    /** Values per flattened patch (p x p x 3, row-major over (row, column, channel)). */
    public int patchValues() {
        return patchSize * patchSize * 3;
    }

    /** E: predictor token width = D + proprio embedding + action embedding. */
    public int tokenDim() {
        return latentDim + proprioEmbDim + actionEmbDim;
    }

    public int encoderHeadDim() {
        return latentDim / encoderHeads;
    }

    public int predictorInnerDim() {
        return predictorHeads * predictorHeadDim;
    }

    /** The shipped small model (docs/experiments/feasibility.md's shape, predictor trimmed for the cost budget). */
    public static WorldModelConfig small(int proprioDim, int numHist) {
        return new WorldModelConfig(64, 16, 64, 2, 4, 256,
                proprioDim, 10, 10, 10,
                2, 4, 16, 168, numHist, 5);
    }

    /** DINO-WM's sizes (ViT-S/14-shaped encoder at 224 px with 16-px patches, 6-block predictor); for scale tests. */
    public static WorldModelConfig dinoWmScale(int proprioDim) {
        return new WorldModelConfig(224, 16, 384, 12, 6, 1536,
                proprioDim, 10, 10, 10,
                6, 16, 64, 2048, 3, 5);
    }

    /** Multiply-accumulate count of one predictor call on {@code frames} frames, per batch element. */
    public long predictorMacs(int frames) {
        long s = (long) frames * numPatches();
        long e = tokenDim();
        long inner = predictorInnerDim();
        long perToken = e * 3 * inner + inner * e + 2 * e * predictorMlpDim;
        long attention = 2 * s * s * inner; // QK^T and AV
        return predictorDepth * (s * perToken + attention);
    }

    /** Multiply-accumulate count of the visual encoder, per image. */
    public long encoderMacs() {
        long n = numPatches();
        long d = latentDim;
        long perToken = d * 3 * d + d * d + 2 * d * encoderMlpDim;
        return n * patchValues() * d + encoderDepth * (n * perToken + 2 * n * n * d);
    }
}
