package dev.qwm.env.pusht;

import dev.qwm.env.random.NumpyRandomState;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A scripted, noisy pushing policy for PushT data: random actions seldom touch the T, so trajectories would show an
 * agent wandering past a still block. Repeatedly:
 * <ol>
 *   <li><b>choose</b> a face of the T and a contact point on it. Faces whose approach point lies outside the arena
 *       are skipped; the others are weighted by usable length × e^(−angle the agent must walk around the block) ×
 *       (1 + 0.8 × how much the push points towards the arena's centre), so the agent wastes few steps and the
 *       block drifts less into corners. The push direction is the inward normal turned by N(0, 0.25 rad), its
 *       length U(40, 150) px;</li>
 *   <li><b>approach</b>: go around the block on a circle of radius 95 px about its centre of gravity, in steps of at
 *       most 45°, then radially in to a point 20 px off the contact point, cutting straight to any later waypoint
 *       whose path stays clear of the block;</li>
 *   <li><b>push</b> at U(8, 24) px per step until the agent has advanced the push length (or 20 steps, or the T
 *       is within 12 px of a wall it is pushed towards);</li>
 *   <li><b>back off</b> 25 px, and choose again.</li>
 * </ol>
 * Every action gets N(0, σ²) noise per dimension (σ = 0.03 by default: 3 px; the generator can vary it per
 * trajectory, as DINO-WM's PushT data replay demonstrations with various levels of noise), and one choice in ten is instead a short burst of 3–8
 * random actions N(0, 0.2²), so that the agent's own motion is diverse too. Actions are relative displacements in
 * units of 100 px with targets at most 50 px away, near the official dataset's scale (action std ≈ 0.2).
 */
public final class PushTPushingPolicy {

    private static final double ORBIT_RADIUS = 95;
    private static final double STANDOFF = PushTGeometry.AGENT_RADIUS + 5;
    private static final double MAX_OFFSET = 50;
    private static final double ARENA_LO = 25;
    private static final double ARENA_HI = 487;
    /** The default action noise σ per dimension (units of 100 px). */
    public static final double DEFAULT_NOISE = 0.03;

    /** A face of the T in the body frame: from (x0, y0) to (x1, y1), outward normal, usable span margins. */
    private record Face(double x0, double y0, double x1, double y1, double nx, double ny, double marginStart,
                        double marginEnd) {
        double length() {
            return Math.hypot(x1 - x0, y1 - y0);
        }

        double usable() {
            return Math.max(0, length() - marginStart - marginEnd);
        }
    }

    // Margins keep the agent (radius 15) clear of the other arm at the T's inner corners (±15, 30).
    private static final Face[] FACES = {
        new Face(-60, 0, 60, 0, 0, -1, 5, 5),        // bar top
        new Face(60, 0, 60, 30, 1, 0, 5, 5),         // bar right end
        new Face(-60, 30, -60, 0, -1, 0, 5, 5),      // bar left end
        new Face(60, 30, 15, 30, 0, 1, 5, 22),       // bar underside, right
        new Face(-60, 30, -15, 30, 0, 1, 5, 22),     // bar underside, left
        new Face(15, 120, 15, 30, 1, 0, 5, 22),      // stem right side
        new Face(-15, 120, -15, 30, -1, 0, 5, 22),   // stem left side
        new Face(-15, 120, 15, 120, 0, 1, 5, 5),     // stem end
    };

    private enum Phase { CHOOSE, APPROACH, PUSH, BACK_OFF, RANDOM }

    private final NumpyRandomState rs;
    private final double noise;
    private Phase phase = Phase.CHOOSE;
    private final ArrayDeque<double[]> waypoints = new ArrayDeque<>();
    private double pushX;
    private double pushY;
    private double pushLength;
    private double pushSpeed;
    private double pushStartX;
    private double pushStartY;
    private int phaseSteps;
    private int randomSteps;

    public PushTPushingPolicy(NumpyRandomState rs) {
        this(rs, DEFAULT_NOISE);
    }

    /** A pusher whose every action gets N(0, noise²) per dimension (units of 100 px). */
    public PushTPushingPolicy(NumpyRandomState rs, double noise) {
        this.rs = rs;
        this.noise = checkNoise(noise);
    }

    /** An action noise level must lie in [0, 1] (units of 100 px: up to a 100-px jitter per step). */
    static double checkNoise(double noise) {
        if (!(noise >= 0 && noise <= 1)) {
            throw new IllegalArgumentException("action noise levels must be in [0, 1] (units of 100 px), got " + noise);
        }
        return noise;
    }

    /** The next action (2-D, units of 100 px) for a 7-D PushT state. */
    public double[] act(double[] state) {
        double ax = state[0];
        double ay = state[1];
        for (int guard = 0; guard < 4; guard++) {
            switch (phase) {
                case CHOOSE -> choose(state);
                case RANDOM -> {
                    if (phaseSteps++ < randomSteps) {
                        return noisy(rs.normal(0, 0.2), rs.normal(0, 0.2), ax, ay);
                    }
                    phase = Phase.CHOOSE;
                }
                case APPROACH -> {
                    while (!waypoints.isEmpty() && Math.hypot(waypoints.peek()[0] - ax, waypoints.peek()[1] - ay) < 6) {
                        waypoints.poll();
                    }
                    shortcut(state);
                    if (waypoints.isEmpty()) {
                        phase = Phase.PUSH;
                        phaseSteps = 0;
                        pushStartX = ax;
                        pushStartY = ay;
                    } else if (phaseSteps++ > 40) {
                        phase = Phase.CHOOSE; // stuck: choose again
                    } else {
                        double[] w = waypoints.peek();
                        return toward(ax, ay, w[0], w[1]);
                    }
                }
                case PUSH -> {
                    double advanced = (ax - pushStartX) * pushX + (ay - pushStartY) * pushY;
                    if (advanced < pushLength && phaseSteps++ < 20 && !blockAtWall(state)) {
                        return noisy(pushX * pushSpeed / 100, pushY * pushSpeed / 100, ax, ay);
                    }
                    phase = Phase.BACK_OFF;
                    phaseSteps = 0;
                    waypoints.clear();
                    waypoints.add(clampToArena(ax - 25 * pushX, ay - 25 * pushY));
                }
                case BACK_OFF -> {
                    double[] w = waypoints.peek();
                    if (w != null && Math.hypot(w[0] - ax, w[1] - ay) >= 6 && phaseSteps++ < 4) {
                        return toward(ax, ay, w[0], w[1]);
                    }
                    phase = Phase.CHOOSE;
                }
                default -> throw new IllegalStateException(phase.toString());
            }
        }
        return noisy(0, 0, ax, ay);
    }

    private void choose(double[] state) {
        phaseSteps = 0;
        if (rs.randomSample() < 0.1) {
            phase = Phase.RANDOM;
            randomSteps = 3 + (int) rs.randint(0, 6);
            return;
        }
        double bx = state[2];
        double by = state[3];
        double angle = state[4];
        double c = Math.cos(angle);
        double s = Math.sin(angle);
        double[] cog = PushTGeometry.toWorld(bx, by, angle, PushTGeometry.BLOCK_COG_X, PushTGeometry.BLOCK_COG_Y);
        double agentAngle = Math.atan2(state[1] - cog[1], state[0] - cog[0]);
        double toCentreX = 256 - cog[0];
        double toCentreY = 256 - cog[1];
        double toCentre = Math.max(1e-9, Math.hypot(toCentreX, toCentreY));
        // candidate faces whose standoff point is reachable inside the arena; the weight favours faces on the
        // agent's side (less walking around) and pushes towards the middle (the block drifts less into corners)
        List<double[]> candidates = new ArrayList<>(); // {contact x, y, outward nx, ny, weight}
        double total = 0;
        for (Face f : FACES) {
            double t = f.marginStart() + rs.uniform(0, 1) * f.usable();
            double lx = f.x0() + (f.x1() - f.x0()) * t / f.length();
            double ly = f.y0() + (f.y1() - f.y0()) * t / f.length();
            double[] p = PushTGeometry.toWorld(bx, by, angle, lx, ly);
            double nx = c * f.nx() - s * f.ny();
            double ny = s * f.nx() + c * f.ny();
            double sx = p[0] + STANDOFF * nx;
            double sy = p[1] + STANDOFF * ny;
            if (sx < ARENA_LO || sx > ARENA_HI || sy < ARENA_LO || sy > ARENA_HI) {
                continue;
            }
            double sweep = Math.abs(Math.IEEEremainder(Math.atan2(sy - cog[1], sx - cog[0]) - agentAngle, 2 * Math.PI));
            double centring = (-nx * toCentreX - ny * toCentreY) / toCentre * Math.min(1, toCentre / 150);
            double w = f.usable() * Math.exp(-sweep) * (1 + 0.8 * centring);
            candidates.add(new double[] {p[0], p[1], nx, ny, w});
            total += w;
        }
        if (candidates.isEmpty()) {
            phase = Phase.RANDOM;
            randomSteps = 3;
            return;
        }
        double pick = rs.uniform(0, total);
        double[] chosen = candidates.get(candidates.size() - 1);
        for (double[] cand : candidates) {
            pick -= cand[4];
            if (pick <= 0) {
                chosen = cand;
                break;
            }
        }
        double turn = rs.normal(0, 0.25);
        double ix = -chosen[2];
        double iy = -chosen[3];
        pushX = Math.cos(turn) * ix - Math.sin(turn) * iy;
        pushY = Math.sin(turn) * ix + Math.cos(turn) * iy;
        pushLength = rs.uniform(40, 150);
        pushSpeed = rs.uniform(8, 24);

        // path: around the block on the orbit circle, then radially in to the standoff point
        double standX = chosen[0] + STANDOFF * chosen[2];
        double standY = chosen[1] + STANDOFF * chosen[3];
        double from = Math.atan2(state[1] - cog[1], state[0] - cog[0]);
        double to = Math.atan2(standY - cog[1], standX - cog[0]);
        double sweep = Math.IEEEremainder(to - from, 2 * Math.PI);
        waypoints.clear();
        boolean agentFar = Math.hypot(state[0] - cog[0], state[1] - cog[1]) > ORBIT_RADIUS + 20;
        if (!agentFar || Math.abs(sweep) > Math.PI / 4) {
            int legs = (int) Math.ceil(Math.abs(sweep) / (Math.PI / 4));
            for (int k = 0; k <= legs; k++) {
                double a = from + sweep * k / Math.max(1, legs);
                waypoints.add(clampToArena(cog[0] + ORBIT_RADIUS * Math.cos(a), cog[1] + ORBIT_RADIUS * Math.sin(a)));
            }
        }
        waypoints.add(new double[] {standX, standY});
        phase = Phase.APPROACH;
    }

    /** Whether the T is within 12 px of a wall it is being pushed towards: stop rather than squeeze it. */
    private boolean blockAtWall(double[] state) {
        for (double[][] part : new double[][][] {PushTGeometry.BAR, PushTGeometry.STEM}) {
            for (double[] v : PushTGeometry.toWorld(state[2], state[3], state[4], part)) {
                if ((v[0] < 7 + 12 && pushX < 0) || (v[0] > 504 - 12 && pushX > 0)
                        || (v[1] < 7 + 12 && pushY < 0) || (v[1] > 504 - 12 && pushY > 0)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Drops waypoints while a later one can be reached in a straight line that stays clear of the block. */
    private void shortcut(double[] state) {
        List<double[]> list = new ArrayList<>(waypoints);
        for (int k = list.size() - 1; k > 0; k--) {
            if (segmentClear(state, list.get(k))) {
                for (int drop = 0; drop < k; drop++) {
                    waypoints.poll();
                }
                return;
            }
        }
    }

    private static boolean segmentClear(double[] state, double[] target) {
        for (int i = 1; i <= 16; i++) {
            double f = i / 16.0;
            double x = state[0] + f * (target[0] - state[0]);
            double y = state[1] + f * (target[1] - state[1]);
            if (distanceToBlock(state, x, y) < PushTGeometry.AGENT_RADIUS + 3) {
                return false;
            }
        }
        return true;
    }

    /** Distance from a world point to the T at the state's block pose (0 inside). */
    static double distanceToBlock(double[] state, double px, double py) {
        double c = Math.cos(state[4]);
        double s = Math.sin(state[4]);
        double dx = px - state[2];
        double dy = py - state[3];
        double lx = c * dx + s * dy;
        double ly = -s * dx + c * dy;
        return Math.min(rectDistance(lx, ly, -60, 60, 0, 30), rectDistance(lx, ly, -15, 15, 30, 120));
    }

    private static double rectDistance(double x, double y, double x0, double x1, double y0, double y1) {
        double dx = Math.max(Math.max(x0 - x, 0), x - x1);
        double dy = Math.max(Math.max(y0 - y, 0), y - y1);
        return Math.hypot(dx, dy);
    }

    private double[] toward(double ax, double ay, double tx, double ty) {
        double dx = tx - ax;
        double dy = ty - ay;
        double d = Math.hypot(dx, dy);
        if (d > MAX_OFFSET) {
            dx *= MAX_OFFSET / d;
            dy *= MAX_OFFSET / d;
        }
        return noisy(dx / 100, dy / 100, ax, ay);
    }

    private double[] noisy(double x, double y, double ax, double ay) {
        double nx = x + rs.normal(0, noise);
        double ny = y + rs.normal(0, noise);
        // keep the target inside the arena: the agent passes through walls, the camera does not see past them
        double tx = Math.max(ARENA_LO, Math.min(ARENA_HI, ax + 100 * nx));
        double ty = Math.max(ARENA_LO, Math.min(ARENA_HI, ay + 100 * ny));
        return new double[] {(tx - ax) / 100, (ty - ay) / 100};
    }

    private static double[] clampToArena(double x, double y) {
        return new double[] {Math.max(ARENA_LO, Math.min(ARENA_HI, x)), Math.max(ARENA_LO, Math.min(ARENA_HI, y))};
    }
}
