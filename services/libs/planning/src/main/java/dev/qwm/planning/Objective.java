package dev.qwm.planning;

/**
 * DINO-WM's planning objective, {@code mode=last}: MSE between the last predicted visual latent and the goal's,
 * averaged over all {@code N x D} elements, plus {@code alpha} times the MSE of the proprio embeddings.
 */
public record Objective(double alpha) {

    public Objective {
        if (!(alpha >= 0) || Double.isInfinite(alpha)) {
            throw new IllegalArgumentException("objective alpha must be finite and >= 0, got " + alpha);
        }
    }

    public double loss(Latent predicted, Latent goal) {
        return loss(predicted.visual(), 0, predicted.proprio(), 0, goal);
    }

    /**
     * The loss of one candidate whose final visual latent starts at {@code visualOffset} in {@code visual} and
     * whose proprio embedding starts at {@code proprioOffset} in {@code proprio} (lets batched backends score
     * straight out of their buffers).
     */
    public double loss(float[] visual, int visualOffset, float[] proprio, int proprioOffset, Latent goal) {
        float[] gv = goal.visual();
        double sv = 0;
        for (int i = 0; i < gv.length; i++) {
            double d = visual[visualOffset + i] - gv[i];
            sv += d * d;
        }
        double loss = sv / gv.length;
        float[] gp = goal.proprio();
        if (gp.length > 0 && alpha != 0) {
            double sp = 0;
            for (int i = 0; i < gp.length; i++) {
                double d = proprio[proprioOffset + i] - gp[i];
                sp += d * d;
            }
            loss += alpha * sp / gp.length;
        }
        return loss;
    }

    /**
     * The loss of one candidate whose final frame is stored as predictor tokens: {@code numPatches} rows of
     * {@code tokenDim} floats from {@code offset}, each row starting with the visual latent ({@code latentDim}) and
     * then the proprio embedding. The proprio embedding is read from patch 0, as DINO-WM's {@code separate_emb}.
     */
    public double lossOnTokens(float[] frames, int offset, int numPatches, int tokenDim, int latentDim, Latent goal) {
        float[] gv = goal.visual();
        if (gv.length != numPatches * latentDim) {
            throw new IllegalArgumentException("goal latent has " + gv.length + " visual values, expected "
                    + numPatches + " x " + latentDim);
        }
        double sv = 0;
        for (int n = 0; n < numPatches; n++) {
            int row = offset + n * tokenDim;
            int g = n * latentDim;
            for (int d = 0; d < latentDim; d++) {
                double diff = frames[row + d] - gv[g + d];
                sv += diff * diff;
            }
        }
        double loss = sv / gv.length;
        float[] gp = goal.proprio();
        if (gp.length > 0 && alpha != 0) {
            double sp = 0;
            for (int i = 0; i < gp.length; i++) {
                double diff = frames[offset + latentDim + i] - gp[i];
                sp += diff * diff;
            }
            loss += alpha * sp / gp.length;
        }
        return loss;
    }
}
