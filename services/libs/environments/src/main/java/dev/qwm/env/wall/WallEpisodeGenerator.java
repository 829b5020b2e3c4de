package dev.qwm.env.wall;

import dev.qwm.env.EnvironmentKind;
import dev.qwm.env.dataset.Episode;
import dev.qwm.env.dataset.EpisodeGenerator;
import dev.qwm.env.random.NumpyRandomState;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Wall training data as DINO-WM's {@code wall_single} (random-action trajectories, 50 steps) with a documented
 * share of door-seeking episodes.
 *
 * <ul>
 *   <li><b>random</b> (DINO-WM's recipe): start uniform in either room; heading starting U[0, 2π) and turned each
 *       step by von Mises noise of concentration 1/0.2 (the repository's {@code DotDataset.generate_actions});
 *       step length U(0, {@code maxStep}). DINO-WM's dataset script is not public; maxStep 1.1 gives a
 *       per-dimension action std of ≈ 0.45, the official dataset's (ACTION_STD 0.44 / 0.47).</li>
 *   <li><b>door</b>: the same step lengths and heading noise, but the heading is re-aimed each step at the next of
 *       three waypoints: 8 px before the door, 8 px past it, then a random point in the other room; afterwards the
 *       random walk continues. Only about one random trajectory in ten crosses the door, which leaves door
 *       dynamics under-learned; these episodes fix that without changing the action distribution's scale.</li>
 * </ul>
 * Episode i is a door episode iff ⌊(i+1)·share⌋ &gt; ⌊i·share⌋, i.e. exactly that share, evenly spread.
 */
public final class WallEpisodeGenerator implements EpisodeGenerator {

    public static final double DEFAULT_DOOR_SHARE = 0.25;
    public static final double DEFAULT_MAX_STEP = 1.1;
    public static final double HEADING_KAPPA = 1 / 0.2;
    private static final int STREAM_SALT = 0x57414C4C; // "WALL"

    private final long seed;
    private final double doorShare;
    private final double maxStep;
    private final WallLayout layout;

    public WallEpisodeGenerator(long seed) {
        this(seed, DEFAULT_DOOR_SHARE, DEFAULT_MAX_STEP);
    }

    public WallEpisodeGenerator(long seed, double doorShare, double maxStep) {
        if (!(doorShare >= 0 && doorShare <= 1)) {
            throw new IllegalArgumentException("door share must be in [0, 1], got " + doorShare);
        }
        if (!(maxStep > 0)) {
            throw new IllegalArgumentException("max step length must be positive, got " + maxStep);
        }
        this.seed = seed;
        this.doorShare = doorShare;
        this.maxStep = maxStep;
        this.layout = WallLayout.DEFAULT;
    }

    @Override
    public EnvironmentKind kind() {
        return EnvironmentKind.WALL;
    }

    @Override
    public int stateDim() {
        return WallEnvironment.STATE_DIM;
    }

    @Override
    public int proprioDim() {
        return WallEnvironment.PROPRIO_DIM;
    }

    @Override
    public int actionDim() {
        return WallEnvironment.ACTION_DIM;
    }

    public boolean isDoorEpisode(int index) {
        return Math.floor((index + 1) * doorShare) > Math.floor(index * doorShare);
    }

    @Override
    public Episode generate(int index, int steps, int imageSize) {
        NumpyRandomState rs = new NumpyRandomState(new int[] {(int) seed, (int) (seed >>> 32), index, STREAM_SALT});
        boolean door = isDoorEpisode(index);
        WallEnvironment env = new WallEnvironment(layout);
        double[] start = sampleStart(rs);
        // float32 start, like the stored actions: replaying the stored episode reproduces it exactly
        start[0] = (float) start[0];
        start[1] = (float) start[1];
        env.reset(start);

        float[] states = new float[(steps + 1) * 2];
        float[] actions = new float[steps * 2];
        byte[] frames = new byte[(steps + 1) * imageSize * imageSize * 3];
        record(env, 0, states, frames, imageSize);

        double heading = rs.uniform(0, 2 * Math.PI);
        int side = layout.side(start[0]);
        double[][] waypoints = door ? doorWaypoints(rs, side) : new double[0][];
        int next = 0;
        for (int t = 0; t < steps; t++) {
            double[] pos = env.state();
            while (next < waypoints.length && Math.hypot(waypoints[next][0] - pos[0], waypoints[next][1] - pos[1]) < 2) {
                next++;
            }
            if (next < waypoints.length) {
                double aim = Math.atan2(waypoints[next][1] - pos[1], waypoints[next][0] - pos[0]);
                heading = aim + rs.vonMises(0, HEADING_KAPPA);
            } else {
                heading = (heading + rs.vonMises(0, HEADING_KAPPA)) % (2 * Math.PI);
            }
            double length = rs.uniform(0, maxStep);
            // round to float32 first: the stored action is exactly the one stepped
            float ax = (float) (length * Math.cos(heading));
            float ay = (float) (length * Math.sin(heading));
            actions[2 * t] = ax;
            actions[2 * t + 1] = ay;
            env.step(new double[] {ax, ay});
            record(env, t + 1, states, frames, imageSize);
        }
        return new Episode(index, door ? "door" : "random", steps, 2, 2, 2, states, states.clone(), actions, frames,
                imageSize);
    }

    private static void record(WallEnvironment env, int t, float[] states, byte[] frames, int imageSize) {
        double[] s = env.state();
        states[2 * t] = (float) s[0];
        states[2 * t + 1] = (float) s[1];
        byte[] f = env.render(imageSize);
        System.arraycopy(f, 0, frames, t * f.length, f.length);
    }

    /** Uniform over both rooms (the random_state ranges), not in the door channel. */
    private double[] sampleStart(NumpyRandomState rs) {
        double lo = WallLayout.BORDER_PADDING;
        double hi = WallLayout.GRID - 1 - WallLayout.BORDER_PADDING;
        double leftMax = layout.wallLeft() - WallLayout.PADDING;
        double rightMin = layout.wallRight() + WallLayout.PADDING;
        double x;
        do {
            x = rs.uniform(lo, hi);
        } while (x > leftMax && x < rightMin);
        return new double[] {x, rs.uniform(lo, hi)};
    }

    private double[][] doorWaypoints(NumpyRandomState rs, int side) {
        double before = layout.wallX() + side * 8.0;
        double after = layout.wallX() - side * 8.0;
        double lo = WallLayout.BORDER_PADDING;
        double hi = WallLayout.GRID - 1 - WallLayout.BORDER_PADDING;
        double targetX = side < 0 ? rs.uniform(layout.wallRight() + WallLayout.PADDING, hi)
                : rs.uniform(lo, layout.wallLeft() - WallLayout.PADDING);
        return new double[][] {
            {before, layout.doorY() + rs.uniform(-2, 2)},
            {after, layout.doorY() + rs.uniform(-2, 2)},
            {targetX, rs.uniform(lo, hi)},
        };
    }

    @Override
    public Map<String, Object> description() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("policy", "random heading walk (von Mises kappa 5) with a share of door-seeking episodes");
        d.put("doorShare", doorShare);
        d.put("maxStepLength", maxStep);
        d.put("headingKappa", HEADING_KAPPA);
        d.put("wallX", layout.wallX());
        d.put("doorY", layout.doorY());
        d.put("render", "65-px DotWall grid; 64 = crop, other sizes bilinear");
        return d;
    }

    @Override
    public DataMetrics newMetrics() {
        return new CrossingMetrics(layout);
    }

    /** How many episodes change room (through the door) at least once, by policy. */
    static final class CrossingMetrics implements DataMetrics {
        private final WallLayout layout;
        private final Map<String, int[]> byPolicy = new LinkedHashMap<>(); // policy -> {episodes, crossing}

        CrossingMetrics(WallLayout layout) {
            this.layout = layout;
        }

        @Override
        public void add(Episode e) {
            int startSide = layout.side(e.states()[0]);
            boolean crossed = false;
            for (int t = 1; t <= e.steps() && !crossed; t++) {
                crossed = layout.side(e.states()[2 * t]) != startSide;
            }
            int[] c = byPolicy.computeIfAbsent(e.policy(), k -> new int[2]);
            c[0]++;
            if (crossed) {
                c[1]++;
            }
        }

        @Override
        public Map<String, Object> result() {
            Map<String, Object> out = new LinkedHashMap<>();
            int total = 0;
            int crossed = 0;
            for (Map.Entry<String, int[]> e : byPolicy.entrySet()) {
                total += e.getValue()[0];
                crossed += e.getValue()[1];
                out.put("doorCrossingFraction." + e.getKey(), (double) e.getValue()[1] / e.getValue()[0]);
                out.put("episodes." + e.getKey(), e.getValue()[0]);
            }
            out.put("doorCrossingFraction", total == 0 ? 0.0 : (double) crossed / total);
            return out;
        }
    }
}
