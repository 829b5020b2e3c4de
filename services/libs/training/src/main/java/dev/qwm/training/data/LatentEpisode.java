package dev.qwm.training.data;

/**
 * An episode as the predictor trains on it: the frozen encoder's latents of every frame, normalised proprio
 * and normalised env-step actions.
 *
 * @param latents [steps+1][N][D] row-major
 * @param proprio normalised, [steps+1][proprioDim]
 * @param actions normalised env-step actions, [steps][envActionDim]
 */
public record LatentEpisode(int steps, int tokens, int latentDim, int proprioDim, int actionDim, float[] latents,
                            float[] proprio, float[] actions) {

    public int frameLatentSize() {
        return tokens * latentDim;
    }

    public void copyLatent(int t, float[] dst, int offset) {
        System.arraycopy(latents, t * frameLatentSize(), dst, offset, frameLatentSize());
    }

    public void copyProprio(int t, float[] dst, int offset) {
        System.arraycopy(proprio, t * proprioDim, dst, offset, proprioDim);
    }

    /** Normalised macro action at env step t: steps t..t+frameskip-1 concatenated. */
    public void copyMacroAction(int t, int frameskip, float[] dst, int offset) {
        System.arraycopy(actions, t * actionDim, dst, offset, frameskip * actionDim);
    }
}
