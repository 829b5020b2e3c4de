package dev.qwm.planning.oracle;

import dev.qwm.env.FrameStyle;
import dev.qwm.env.Environment;
import dev.qwm.env.EnvironmentKind;
import dev.qwm.planning.ActionBatch;
import dev.qwm.planning.ActionNormalization;
import dev.qwm.planning.Latent;
import dev.qwm.planning.Objective;
import dev.qwm.planning.Observation;
import dev.qwm.planning.WorldModel;

import java.util.function.Supplier;

/**
 * A perfect world model: its latent is the simulator's exact state and its rollout is the simulator itself, so
 * CEM and MPC can be measured apart from any learned model. It is the ceiling every learned model is judged
 * against on the same episodes.
 *
 * <p>The objective is the squared distance between task-state embeddings of the final and the goal state
 * (the {@link Objective}'s alpha does not apply: there is no proprio embedding):
 * <ul>
 *   <li>Wall: the dot position {@code (x, y)};</li>
 *   <li>PushT: agent and block positions plus the block angle as {@code R (cos θ, sin θ)}, with R chosen so that
 *       the success tolerance on the angle (π/9) costs as much as the success tolerance on positions (20 px).
 *       Velocities are left out: the success rule ignores them.</li>
 * </ul>
 */
public final class OracleWorldModel implements WorldModel {

    /** DINO-WM's action statistics ({@code wall_dset.py}, {@code pusht_dset.py}) per env-action dimension. */
    static final double[] WALL_ACTION_MEAN = {0.0006, 0.0015};
    static final double[] WALL_ACTION_STD = {0.4395, 0.4684};
    static final double[] PUSHT_ACTION_MEAN = {-0.0087, 0.0068};
    static final double[] PUSHT_ACTION_STD = {0.2019, 0.2002};
    /** Chord of the π/9 success angle equals the 20 px success distance. */
    static final double PUSHT_ANGLE_RADIUS = 20.0 / (2 * Math.sin(Math.PI / 18));

    private final EnvironmentKind kind;
    private final Environment scratch;
    private final ActionNormalization normalization;

    public OracleWorldModel(Supplier<Environment> environments, ActionNormalization normalization) {
        this.scratch = environments.get();
        this.kind = scratch.kind();
        this.normalization = normalization;
        if (normalization.frameskip() != scratch.frameskip() || normalization.envActionDim() != scratch.actionDim()) {
            throw new IllegalArgumentException("action normalisation of " + normalization.frameskip() + " x "
                    + normalization.envActionDim() + " does not fit " + kind.cliName());
        }
    }

    /** The oracle with DINO-WM's action statistics for the environment. */
    public static OracleWorldModel withDinoWmActionStatistics(Supplier<Environment> environments) {
        Environment probe = environments.get();
        ActionNormalization norm = switch (probe.kind()) {
            case WALL -> ActionNormalization.perEnvAction(WALL_ACTION_MEAN, WALL_ACTION_STD, probe.frameskip());
            case PUSHT -> ActionNormalization.perEnvAction(PUSHT_ACTION_MEAN, PUSHT_ACTION_STD, probe.frameskip());
        };
        return new OracleWorldModel(environments, norm);
    }

    @Override
    public String reference() {
        return "oracle:" + kind.cliName();
    }

    @Override
    public String environment() {
        return kind.cliName();
    }

    @Override
    public int actionDim() {
        return normalization.macroDim();
    }

    @Override
    public ActionNormalization actionNormalization() {
        return normalization;
    }

    @Override
    public int imageSize() {
        return 0;
    }

    /** It reads states, not frames: any style will do; its environments' own. */
    @Override
    public FrameStyle frameStyle() {
        return FrameStyle.QWM;
    }

    @Override
    public Latent encode(Observation observation) {
        return stateLatent(observation.state());
    }

    @Override
    public Latent[] rollout(Latent start, ActionBatch actions) {
        double[] startState = toDoubles(start.visual());
        Latent[] out = new Latent[actions.batch()];
        for (int b = 0; b < actions.batch(); b++) {
            out[b] = stateLatent(simulate(startState, actions, b));
        }
        return out;
    }

    @Override
    public double[] score(Latent start, Latent goal, ActionBatch actions, Objective objective) {
        double[] startState = toDoubles(start.visual());
        double[] goalEmbedding = taskEmbedding(toDoubles(goal.visual()));
        double[] losses = new double[actions.batch()];
        for (int b = 0; b < actions.batch(); b++) {
            double[] e = taskEmbedding(simulate(startState, actions, b));
            double s = 0;
            for (int i = 0; i < e.length; i++) {
                double d = e[i] - goalEmbedding[i];
                s += d * d;
            }
            losses[b] = s;
        }
        return losses;
    }

    /** The embedding whose squared distance is the oracle's objective. */
    double[] taskEmbedding(double[] state) {
        return switch (kind) {
            case WALL -> new double[] {state[0], state[1]};
            case PUSHT -> new double[] {state[0], state[1], state[2], state[3],
                    PUSHT_ANGLE_RADIUS * Math.cos(state[4]), PUSHT_ANGLE_RADIUS * Math.sin(state[4])};
        };
    }

    private double[] simulate(double[] startState, ActionBatch actions, int b) {
        return simulate(scratch, normalization, startState, actions, b);
    }

    /** The state {@code env} reaches from {@code startState} under candidate {@code b}'s normalised macro actions. */
    static double[] simulate(Environment env, ActionNormalization normalization, double[] startState,
                             ActionBatch actions, int b) {
        env.reset(startState);
        for (int t = 0; t < actions.horizon(); t++) {
            for (double[] envAction : normalization.toEnvActions(actions.data(), actions.offset(b, t))) {
                env.step(envAction);
            }
        }
        return env.state();
    }

    private static Latent stateLatent(double[] state) {
        float[] v = new float[state.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) state[i];
        }
        return new Latent(v, new float[0]);
    }

    private static double[] toDoubles(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }
}
