package dev.qwm.env.pusht;

import dev.qwm.env.EnvironmentKind;
import dev.qwm.env.FrameStyle;
import dev.qwm.env.dataset.Episode;
import dev.qwm.env.dataset.EpisodeGenerator;
import dev.qwm.env.random.NumpyRandomState;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * PushT training data: diffusion_policy's random reset, drawn again while the agent touches the T or a corner of
 * the T lies outside the walls (the official reset allows both; the first would start with a jump, the second
 * with the block stuck in a wall), then {@link PushTPushingPolicy}. DINO-WM's own PushT data are replayed expert
 * demonstrations with noise, which cannot be regenerated here; a scripted pusher gives what matters for a world
 * model: steps in which the block really moves and turns, from every side.
 */
public final class PushTEpisodeGenerator implements EpisodeGenerator {

    /** A step "moves the block" when its origin moves more than this (px) ... */
    public static final double MOVE_EPS_PX = 0.5;
    /** ... or it turns more than this (rad, 0.5°). */
    public static final double MOVE_EPS_RAD = Math.toRadians(0.5);
    private static final int STREAM_SALT = 0x50555348; // "PUSH"

    private final long seed;
    private final double[] actionNoise;
    private final FrameStyle frameStyle;

    public PushTEpisodeGenerator(long seed) {
        this(seed, new double[] {PushTPushingPolicy.DEFAULT_NOISE});
    }

    /**
     * Trajectory {@code i} is pushed with action noise {@code actionNoise[i % length]} (units of 100 px): a spread
     * of levels covers the jittery, uncorrelated action sequences a sampling planner proposes, not only smooth pushes.
     */
    public PushTEpisodeGenerator(long seed, double[] actionNoise) {
        this(seed, actionNoise, FrameStyle.QWM);
    }

    /** As {@link #PushTEpisodeGenerator(long, double[])}, its frames drawn in {@code frameStyle}. */
    public PushTEpisodeGenerator(long seed, double[] actionNoise, FrameStyle frameStyle) {
        if (actionNoise == null || actionNoise.length == 0) {
            throw new IllegalArgumentException("give at least one action noise level");
        }
        for (double n : actionNoise) {
            PushTPushingPolicy.checkNoise(n);
        }
        this.seed = seed;
        this.actionNoise = actionNoise.clone();
        this.frameStyle = java.util.Objects.requireNonNull(frameStyle, "frameStyle");
    }

    @Override
    public EnvironmentKind kind() {
        return EnvironmentKind.PUSHT;
    }

    @Override
    public int stateDim() {
        return PushTEnvironment.STATE_DIM;
    }

    @Override
    public int proprioDim() {
        return PushTEnvironment.PROPRIO_DIM;
    }

    @Override
    public int actionDim() {
        return PushTEnvironment.ACTION_DIM;
    }

    @Override
    public Episode generate(int index, int steps, int imageSize) {
        NumpyRandomState rs = new NumpyRandomState(new int[] {(int) seed, (int) (seed >>> 32), index, STREAM_SALT});
        double[] start;
        do {
            start = PushTEnvironment.randomState(rs);
        } while (agentTouchesBlock(start) || !blockInsideArena(start));
        for (int i = 0; i < start.length; i++) {
            start[i] = (float) start[i]; // stored as float32: replaying from it is then exact
        }
        start[4] = (float) PushTEnvironment.wrapAngle(start[4]);
        PushTEnvironment env = new PushTEnvironment(frameStyle);
        env.reset(start);
        PushTPushingPolicy policy = new PushTPushingPolicy(rs, actionNoise[index % actionNoise.length]);

        float[] states = new float[(steps + 1) * 7];
        float[] proprio = new float[(steps + 1) * 4];
        float[] actions = new float[steps * 2];
        byte[] frames = new byte[(steps + 1) * imageSize * imageSize * 3];
        record(env, 0, states, proprio, frames, imageSize);
        for (int t = 0; t < steps; t++) {
            double[] a = policy.act(env.state());
            float ax = (float) a[0];
            float ay = (float) a[1];
            actions[2 * t] = ax;
            actions[2 * t + 1] = ay;
            env.step(new double[] {ax, ay});
            record(env, t + 1, states, proprio, frames, imageSize);
        }
        return new Episode(index, "push", steps, 7, 4, 2, states, proprio, actions, frames, imageSize);
    }

    /** Whether every corner of the T lies inside the walls (x, y in [8, 503]). */
    static boolean blockInsideArena(double[] s) {
        for (double[][] part : new double[][][] {PushTGeometry.BAR, PushTGeometry.STEM}) {
            for (double[] v : PushTGeometry.toWorld(s[2], s[3], s[4], part)) {
                if (v[0] < 8 || v[0] > 503 || v[1] < 8 || v[1] > 503) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Agent disc within 1 px of the T (or inside it). */
    static boolean agentTouchesBlock(double[] s) {
        return PushTPushingPolicy.distanceToBlock(s, s[0], s[1]) < PushTGeometry.AGENT_RADIUS + 1;
    }

    private static void record(PushTEnvironment env, int t, float[] states, float[] proprio, byte[] frames,
                               int imageSize) {
        double[] s = env.state();
        for (int i = 0; i < 7; i++) {
            states[7 * t + i] = (float) s[i];
        }
        proprio[4 * t] = (float) s[0];
        proprio[4 * t + 1] = (float) s[1];
        proprio[4 * t + 2] = (float) s[5];
        proprio[4 * t + 3] = (float) s[6];
        byte[] f = env.render(imageSize);
        System.arraycopy(f, 0, frames, t * f.length, f.length);
    }

    /** Whether the block moved or turned noticeably between states t and t+1 of {@code e}. */
    public static boolean blockMoved(Episode e, int t) {
        float[] s = e.states();
        int a = 7 * t;
        int b = 7 * (t + 1);
        double moved = Math.hypot(s[b + 2] - s[a + 2], s[b + 3] - s[a + 3]);
        return moved > MOVE_EPS_PX || PushTEnvironment.angleDifference(s[a + 4], s[b + 4]) > MOVE_EPS_RAD;
    }

    @Override
    public Map<String, Object> description() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("policy", "scripted noisy pusher: choose a face, orbit to it, push, back off (PushTPushingPolicy)");
        d.put("actionNoise", actionNoise.length == 1 ? (Object) actionNoise[0] : Arrays.toString(actionNoise));
        d.put("reset", "diffusion_policy random reset, redrawn while the agent touches the T or the T crosses a wall");
        d.put("render", frameStyle == FrameStyle.QWM
                ? "Java2D at the target size, antialiased; fixed green goal T at (256, 256, pi/4)"
                : "DINO-WM's: pygame's aliased drawing at 512 px, cv2 INTER_LINEAR to the target size; fixed green goal T");
        if (frameStyle != FrameStyle.QWM) { // datasets made before the field keep their dataset.json
            d.put("frameStyle", frameStyle.cliName());
        }
        d.put("blockMovedThreshold", "origin > " + MOVE_EPS_PX + " px or angle > 0.5 deg per step");
        return d;
    }

    @Override
    public DataMetrics newMetrics() {
        return new DataMetrics() {
            long steps;
            long moving;
            int episodesWithMotion;
            int episodes;
            double travel;
            double turn;

            @Override
            public void add(Episode e) {
                int moved = 0;
                for (int t = 0; t < e.steps(); t++) {
                    if (blockMoved(e, t)) {
                        moved++;
                    }
                }
                float[] s = e.states();
                int last = 7 * e.steps();
                travel += Math.hypot(s[last + 2] - s[2], s[last + 3] - s[3]);
                turn += PushTEnvironment.angleDifference(s[4], s[last + 4]);
                steps += e.steps();
                moving += moved;
                episodes++;
                if (moved > 0) {
                    episodesWithMotion++;
                }
            }

            @Override
            public Map<String, Object> result() {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("blockMovingStepFraction", steps == 0 ? 0.0 : (double) moving / steps);
                m.put("episodesWhereBlockMoves", episodes == 0 ? 0.0 : (double) episodesWithMotion / episodes);
                m.put("meanBlockDisplacementPx", episodes == 0 ? 0.0 : travel / episodes);
                m.put("meanBlockRotationRad", episodes == 0 ? 0.0 : turn / episodes);
                return m;
            }
        };
    }
}
