package dev.qwm.planning.eval;

import dev.qwm.env.EnvironmentKind;
import dev.qwm.env.dataset.Episode;
import dev.qwm.env.dataset.EpisodeGenerator;
import dev.qwm.env.pusht.PushTEpisodeGenerator;
import dev.qwm.env.wall.WallEpisodeGenerator;
import dev.qwm.planning.ActionBatch;
import dev.qwm.planning.ActionNormalization;
import dev.qwm.planning.Latent;
import dev.qwm.planning.Observation;
import dev.qwm.planning.WorldModel;

import java.util.ArrayList;
import java.util.List;

/**
 * Open-loop rollout drift: from the start of fixed validation segments (recorded trajectories of the environments'
 * data policies), a world model rolls the segment's recorded macro actions forward exactly as the planner does
 * ({@link WorldModel#rollout}), and its imagined visual latent after h = 1..H macro steps is compared with
 * <ul>
 *   <li>a reference model's imagined latent under the same actions (the full-precision model: what quantization
 *       changed), and</li>
 *   <li>the model's own encoding of the real observation reached after h steps (how wrong the imagination is, in
 *       the latent space its planner compares goals in).</li>
 * </ul>
 * Errors are mean squared differences per visual latent element, averaged over segments.
 */
public final class RolloutDriftMeter {

    /**
     * Seed of the segment generator: the segments are fresh trajectories, neither training data (seed 0 by
     * default) nor evaluation episodes (which are start/goal pairs, not recorded trajectories).
     */
    public static final long SEGMENT_SEED = 7_531L;

    /** A recorded trajectory piece: the start observation, H macro actions and the observations reached after each. */
    public record Segment(Observation start, double[][][] macroActions, Observation[] reached) {

        public int horizon() {
            return macroActions.length;
        }
    }

    /** Drift curves of one model: {@code [h-1]} = mean squared visual-latent error after h macro steps. */
    public record Drift(double[] againstReference, double[] againstReal, int segments) {
    }

    private RolloutDriftMeter() {
    }

    /** {@code count} segments of {@code horizon} macro steps from {@code environment}'s data policy, rendered at {@code imageSize}. */
    public static List<Segment> segments(String environment, int count, int horizon, int frameskip, int imageSize) {
        EpisodeGenerator generator = switch (EnvironmentKind.parse(environment)) {
            case WALL -> new WallEpisodeGenerator(SEGMENT_SEED);
            case PUSHT -> new PushTEpisodeGenerator(SEGMENT_SEED);
        };
        return segments(generator, count, horizon, frameskip, imageSize);
    }

    public static List<Segment> segments(EpisodeGenerator generator, int count, int horizon, int frameskip, int imageSize) {
        if (count < 1 || horizon < 1 || frameskip < 1 || imageSize < 1) {
            throw new IllegalArgumentException("drift segments need count, horizon, frameskip and image size >= 1, got "
                    + count + ", " + horizon + ", " + frameskip + ", " + imageSize);
        }
        List<Segment> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Episode e = generator.generate(i, horizon * frameskip, imageSize);
            double[][][] macro = new double[horizon][frameskip][];
            Observation[] reached = new Observation[horizon];
            for (int h = 0; h < horizon; h++) {
                for (int f = 0; f < frameskip; f++) {
                    macro[h][f] = e.action(h * frameskip + f);
                }
                reached[h] = observation(e, (h + 1) * frameskip);
            }
            out.add(new Segment(observation(e, 0), macro, reached));
        }
        return out;
    }

    private static Observation observation(Episode e, int t) {
        return new Observation(e.frame(t), e.imageSize(), e.proprio(t), e.state(t));
    }

    /** The drift of {@code model} against {@code reference} and against the real observations, on {@code segments}. */
    public static Drift measure(WorldModel model, WorldModel reference, List<Segment> segments) {
        if (segments.isEmpty()) {
            throw new IllegalArgumentException("no drift segments");
        }
        int horizon = segments.get(0).horizon();
        double[] vsReference = new double[horizon];
        double[] vsReal = new double[horizon];
        for (Segment s : segments) {
            if (s.horizon() != horizon) {
                throw new IllegalArgumentException("drift segments differ in horizon: " + s.horizon() + " vs " + horizon);
            }
            Latent start = model.encode(s.start());
            Latent referenceStart = reference.encode(s.start());
            for (int h = 1; h <= horizon; h++) {
                Latent imagined = model.rollout(start, actions(model.actionNormalization(), s, h))[0];
                Latent expected = reference.rollout(referenceStart, actions(reference.actionNormalization(), s, h))[0];
                vsReference[h - 1] += meanSquared(imagined, expected);
                vsReal[h - 1] += meanSquared(imagined, model.encode(s.reached()[h - 1]));
            }
        }
        for (int h = 0; h < horizon; h++) {
            vsReference[h] /= segments.size();
            vsReal[h] /= segments.size();
        }
        return new Drift(vsReference, vsReal, segments.size());
    }

    private static ActionBatch actions(ActionNormalization norm, Segment s, int h) {
        int dim = norm.macroDim();
        float[] data = new float[h * dim];
        for (int t = 0; t < h; t++) {
            System.arraycopy(norm.normalize(s.macroActions()[t]), 0, data, t * dim, dim);
        }
        return ActionBatch.single(h, dim, data);
    }

    private static double meanSquared(Latent a, Latent b) {
        double d = a.visualDistance(b);
        return d * d / a.visual().length;
    }
}
