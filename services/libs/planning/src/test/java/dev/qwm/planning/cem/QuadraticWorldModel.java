package dev.qwm.planning.cem;

import dev.qwm.env.FrameStyle;
import dev.qwm.planning.ActionBatch;
import dev.qwm.planning.ActionNormalization;
import dev.qwm.planning.Latent;
import dev.qwm.planning.Observation;
import dev.qwm.planning.WorldModel;

import java.util.ArrayList;
import java.util.List;

/**
 * A world model whose imagined final "latent" is the action sequence itself, so DINO-WM's objective against a
 * goal latent g is the quadratic mean((a - g)^2) with its minimum exactly at a = g. Records every batch it scores.
 */
final class QuadraticWorldModel implements WorldModel {

    final int actionDim;
    final List<float[]> scoredBatches = new ArrayList<>();

    QuadraticWorldModel(int actionDim) {
        this.actionDim = actionDim;
    }

    @Override
    public String reference() {
        return "quadratic";
    }

    @Override
    public String environment() {
        return "wall";
    }

    @Override
    public int actionDim() {
        return actionDim;
    }

    @Override
    public ActionNormalization actionNormalization() {
        return new ActionNormalization(new double[actionDim], filled(actionDim, 1.0), 1);
    }

    @Override
    public int imageSize() {
        return 0;
    }

    @Override
    public FrameStyle frameStyle() {
        return FrameStyle.QWM;
    }

    @Override
    public Latent encode(Observation observation) {
        throw new UnsupportedOperationException("the quadratic model has no observations");
    }

    @Override
    public Latent[] rollout(Latent start, ActionBatch actions) {
        scoredBatches.add(actions.data().clone());
        Latent[] out = new Latent[actions.batch()];
        int dim = actions.horizon() * actions.actionDim();
        for (int b = 0; b < actions.batch(); b++) {
            float[] v = new float[dim];
            System.arraycopy(actions.data(), b * dim, v, 0, dim);
            out[b] = new Latent(v, new float[0]);
        }
        return out;
    }

    static double[] filled(int n, double v) {
        double[] d = new double[n];
        java.util.Arrays.fill(d, v);
        return d;
    }
}
