package dev.qwm.training.data;

import dev.qwm.env.dataset.Episode;

/** Array access to a dataset {@link Episode} as training needs it. */
public final class Episodes {

    private Episodes() {
    }

    public static int frameBytes(Episode e) {
        return e.imageSize() * e.imageSize() * 3;
    }

    /** Copies frame {@code t} into {@code dst} at {@code offset}. */
    public static void copyFrame(Episode e, int t, byte[] dst, int offset) {
        if (e.frames() == null) {
            throw new IllegalStateException("episode " + e.index() + " was read without frames");
        }
        System.arraycopy(e.frames(), t * frameBytes(e), dst, offset, frameBytes(e));
    }

    /**
     * The macro action starting at env step {@code t}: actions t..t+frameskip-1 concatenated in time order, as
     * DINO-WM builds them ([a_t(x,y), a_t+1(x,y), ...]); env units.
     */
    public static float[] macroAction(Episode e, int t, int frameskip) {
        if (t < 0 || t + frameskip > e.steps()) {
            throw new IndexOutOfBoundsException("macro action at " + t + " needs steps " + t + ".." + (t + frameskip - 1)
                    + ", episode " + e.index() + " has " + e.steps());
        }
        float[] a = new float[frameskip * e.actionDim()];
        System.arraycopy(e.actions(), t * e.actionDim(), a, 0, a.length);
        return a;
    }
}
