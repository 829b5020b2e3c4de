package dev.qwm.planning;

/**
 * One world-model latent frame in DINO-WM's terms: the visual patch latents (flattened {@code [N, D]}) and the
 * proprio embedding. An oracle model's "visual" part is a task-state embedding and its proprio part is empty.
 */
public record Latent(float[] visual, float[] proprio) {

    public Latent {
        if (visual == null || proprio == null) {
            throw new IllegalArgumentException("a latent needs visual and proprio parts (proprio may be empty)");
        }
    }

    /** L2 norm of the visual difference (DINO-WM's {@code div_visual_emb} for one episode). */
    public double visualDistance(Latent other) {
        return l2(visual, other.visual, "visual");
    }

    /** L2 norm of the proprio-embedding difference (DINO-WM's {@code div_proprio_emb} for one episode). */
    public double proprioDistance(Latent other) {
        return l2(proprio, other.proprio, "proprio");
    }

    private static double l2(float[] a, float[] b, String part) {
        if (a.length != b.length) {
            throw new IllegalArgumentException(part + " latents differ in size: " + a.length + " vs " + b.length);
        }
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            s += d * d;
        }
        return Math.sqrt(s);
    }
}
