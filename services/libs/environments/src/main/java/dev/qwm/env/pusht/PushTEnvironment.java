package dev.qwm.env.pusht;

import dev.qwm.env.Environment;
import dev.qwm.env.EnvironmentKind;
import dev.qwm.env.FrameStyle;
import dev.qwm.env.random.NumpyRandomState;
import org.dyn4j.collision.CategoryFilter;
import org.dyn4j.dynamics.Body;
import org.dyn4j.dynamics.BodyFixture;
import org.dyn4j.dynamics.ContinuousDetectionMode;
import org.dyn4j.dynamics.Settings;
import org.dyn4j.geometry.Circle;
import org.dyn4j.geometry.Convex;
import org.dyn4j.geometry.Geometry;
import org.dyn4j.geometry.Mass;
import org.dyn4j.geometry.MassType;
import org.dyn4j.geometry.Polygon;
import org.dyn4j.geometry.Vector2;
import org.dyn4j.world.World;

/**
 * PushT (diffusion_policy's PushTEnv with DINO-WM's wrapper: relative actions ×100, velocity in the state) on the
 * dyn4j rigid-body engine, reproducing pymunk/Chipmunk's semantics where they matter:
 * <ul>
 *   <li>100 Hz physics, 10 Hz control: {@link #step} sets target = agent + 100·a, then 10 times
 *       v += 0.01·(100·(target − p) − 20·v) and one 0.01-s world step;</li>
 *   <li>the agent is a kinematic circle (infinite mass, moved by its velocity) that only touches the block, so it
 *       passes through the walls as in Chipmunk, where two infinite-mass bodies never collide;</li>
 *   <li>the block has mass 1, moment 3000, CoG (0, 45), friction and elasticity 0, and keeps no velocity between
 *       physics steps (Chipmunk's space damping 0): here linear and angular damping 1/dt zero its velocity before
 *       each contact solve, exactly where Chipmunk applies damping;</li>
 *   <li>{@link #reset(double[])} places the bodies and runs one 0.01-s physics step, as {@code _set_state}.</li>
 * </ul>
 * State (7): agent x, y, block x, y (body origin), block angle mod 2π, agent vx, vy. Proprio (4): agent x, y, vx, vy.
 * Every reset builds a fresh world, so a replay from a state is exactly deterministic.
 */
public final class PushTEnvironment implements Environment {

    /** Its dimensions, which its episode generator records too. */
    static final int ACTION_DIM = 2;
    static final int STATE_DIM = 7;
    static final int PROPRIO_DIM = 4;

    public static final double SIM_HZ = 100;
    public static final double CONTROL_HZ = 10;
    public static final double DT = 1.0 / SIM_HZ;
    public static final int SUBSTEPS = (int) (SIM_HZ / CONTROL_HZ);
    public static final double K_P = 100;
    public static final double K_V = 20;
    public static final double ACTION_SCALE = 100;
    /** Success: joint agent+block position error below this (window pixels) ... */
    public static final double SUCCESS_POSITION = 20;
    /** ... and block angle error below π/9. */
    public static final double SUCCESS_ANGLE = Math.PI / 9;

    private static final long AGENT = 1;
    private static final long BLOCK = 2;
    private static final long WALL = 4;

    private World<Body> world;
    private Body agent;
    private Body block;

    private final FrameStyle frameStyle;

    /** PushT drawing qwm's own frames ({@link FrameStyle#QWM}). */
    public PushTEnvironment() {
        this(FrameStyle.QWM);
    }

    public PushTEnvironment(FrameStyle frameStyle) {
        this.frameStyle = java.util.Objects.requireNonNull(frameStyle, "frameStyle");
        reset(new double[] {256, 400, 256, 300, 0, 0, 0});
    }

    @Override
    public FrameStyle frameStyle() {
        return frameStyle;
    }

    @Override
    public EnvironmentKind kind() {
        return EnvironmentKind.PUSHT;
    }

    @Override
    public int actionDim() {
        return ACTION_DIM;
    }

    @Override
    public int stateDim() {
        return STATE_DIM;
    }

    @Override
    public int proprioDim() {
        return PROPRIO_DIM;
    }

    /** diffusion_policy's random reset with {@code RandomState(seed)}: agent in [50, 450), block in [100, 400). */
    public static double[] randomState(long seed) {
        return randomState(new NumpyRandomState(seed));
    }

    /** The same recipe drawn from {@code rs}: randint ×4, then angle = 2π·N(0, 1) − π, velocity 0. */
    public static double[] randomState(NumpyRandomState rs) {
        double ax = rs.randint(50, 450);
        double ay = rs.randint(50, 450);
        double bx = rs.randint(100, 400);
        double by = rs.randint(100, 400);
        double angle = rs.standardNormal() * 2 * Math.PI - Math.PI;
        return new double[] {ax, ay, bx, by, angle, 0, 0};
    }

    @Override
    public void reset(double[] state) {
        checkVector("state", state, 7);
        buildWorld();
        agent.setLinearVelocity(state[5], state[6]);
        agent.getTransform().setTranslation(state[0], state[1]);
        // angle first, then position: the origin lands exactly on (x, y) (dyn4j's transform is the body origin)
        block.getTransform().setRotation(state[4]);
        block.getTransform().setTranslation(state[2], state[3]);
        world.step(1, DT);
    }

    private void buildWorld() {
        world = new World<>();
        world.setGravity(0, 0);
        Settings s = world.getSettings();
        s.setAtRestDetectionEnabled(false);
        s.setVelocityConstraintSolverIterations(10);  // Chipmunk's iterations
        // overlap is removed gradually, like Chipmunk's bias (about 6 % of the penetration per 0.01-s step)
        s.setPositionConstraintSolverIterations(1);
        s.setLinearTolerance(0.1);                    // Chipmunk's collision slop, in pixels
        s.setMaximumLinearCorrection(1.0);            // pixels per step (dyn4j's default is 0.2 m)
        s.setBaumgarte(0.1);
        s.setMaximumTranslation(1e4);                 // never clamp the PD-driven agent (default 2 units/step)
        s.setMaximumWarmStartDistance(1.0);
        s.setContinuousDetectionMode(ContinuousDetectionMode.NONE); // thick walls below: nothing can tunnel

        agent = new Body();
        BodyFixture af = agent.addFixture(new Circle(PushTGeometry.AGENT_RADIUS), 1, 0, 0);
        af.setFilter(new CategoryFilter(AGENT, BLOCK));
        agent.setMass(MassType.INFINITE);
        world.addBody(agent);

        block = new Body();
        for (double[][] poly : new double[][][] {PushTGeometry.BAR, PushTGeometry.STEM}) {
            Vector2[] v = new Vector2[poly.length];
            for (int i = 0; i < poly.length; i++) {
                v[i] = new Vector2(poly[i][0], poly[i][1]);
            }
            BodyFixture f = block.addFixture(new Polygon(v), 1, 0, 0);
            f.setFilter(new CategoryFilter(BLOCK, AGENT | WALL));
        }
        // pymunk's effective mass properties, not the ones dyn4j would derive from the shapes
        block.setMass(new Mass(new Vector2(PushTGeometry.BLOCK_COG_X, PushTGeometry.BLOCK_COG_Y),
                PushTGeometry.BLOCK_MASS, PushTGeometry.BLOCK_MOMENT));
        block.setLinearDamping(1 / DT);
        block.setAngularDamping(1 / DT);
        world.addBody(block);

        // The walls' inner faces are those of pymunk's radius-2 segments (x, y = 7 and 504); they extend 300 px
        // outwards. A block squeezed between the infinite-mass agent and a wall can sink in (as in Chipmunk, the
        // two infinite masses cannot both win), but a thick wall always pushes it back inside, never through.
        Body walls = new Body();
        addWall(walls, -293, 7, -300, 812);
        addWall(walls, 504, 804, -300, 812);
        addWall(walls, -300, 812, -293, 7);
        addWall(walls, -300, 812, 504, 804);
        walls.setMass(MassType.INFINITE);
        world.addBody(walls);
    }

    private static void addWall(Body walls, double x0, double x1, double y0, double y1) {
        Convex r = Geometry.createRectangle(x1 - x0, y1 - y0);
        r.translate((x0 + x1) / 2, (y0 + y1) / 2);
        BodyFixture f = walls.addFixture(r, 1, 0, 0);
        f.setFilter(new CategoryFilter(WALL, BLOCK));
    }

    @Override
    public double[] state() {
        Vector2 a = agent.getTransform().getTranslation();
        Vector2 b = block.getTransform().getTranslation();
        Vector2 v = agent.getLinearVelocity();
        return new double[] {a.x, a.y, b.x, b.y, wrapAngle(block.getTransform().getRotationAngle()), v.x, v.y};
    }

    @Override
    public double[] proprio() {
        Vector2 a = agent.getTransform().getTranslation();
        Vector2 v = agent.getLinearVelocity();
        return new double[] {a.x, a.y, v.x, v.y};
    }

    /** Proprio of any state: (agent x, y, vx, vy). */
    public static double[] proprioOfState(double[] state) {
        return new double[] {state[0], state[1], state[5], state[6]};
    }

    @Override
    public double[] proprioOf(double[] state) {
        checkVector("state", state, 7);
        return proprioOfState(state);
    }

    @Override
    public void step(double[] action) {
        checkVector("action", action, 2);
        Vector2 p0 = agent.getTransform().getTranslation();
        double tx = p0.x + ACTION_SCALE * action[0];
        double ty = p0.y + ACTION_SCALE * action[1];
        for (int i = 0; i < SUBSTEPS; i++) {
            Vector2 p = agent.getTransform().getTranslation();
            Vector2 v = agent.getLinearVelocity();
            double vx = v.x + DT * (K_P * (tx - p.x) - K_V * v.x);
            double vy = v.y + DT * (K_P * (ty - p.y) - K_V * v.y);
            agent.setLinearVelocity(vx, vy);
            world.step(1, DT);
        }
    }

    @Override
    public boolean isSuccess(double[] goalState) {
        checkVector("goal state", goalState, 7);
        return isSuccess(goalState, state());
    }

    /**
     * DINO-WM's {@code eval_state}: ‖goal[0:4] − cur[0:4]‖ &lt; 20 and the block angle within π/9, the difference
     * taken the short way round (angles are first brought into [0, 2π), as states hold them).
     */
    public static boolean isSuccess(double[] goalState, double[] state) {
        double pos = 0;
        for (int i = 0; i < 4; i++) {
            double d = goalState[i] - state[i];
            pos += d * d;
        }
        return Math.sqrt(pos) < SUCCESS_POSITION && angleDifference(goalState[4], state[4]) < SUCCESS_ANGLE;
    }

    /** |a − b| wrapped into [0, π]. */
    public static double angleDifference(double a, double b) {
        double d = Math.abs(wrapAngle(a) - wrapAngle(b));
        return Math.min(d, 2 * Math.PI - d);
    }

    /** Python's {@code angle % (2π)}: into [0, 2π). */
    public static double wrapAngle(double angle) {
        double w = angle % (2 * Math.PI);
        if (w < 0) {
            w += 2 * Math.PI;
        }
        return w >= 2 * Math.PI ? 0 : w;
    }

    @Override
    public double stateDistance(double[] goalState) {
        checkVector("goal state", goalState, 7);
        double[] s = state();
        double sum = 0;
        for (int i = 0; i < 7; i++) {
            double d = goalState[i] - s[i];
            sum += d * d;
        }
        return Math.sqrt(sum);
    }

    @Override
    public byte[] render(int size) {
        return render(state(), size);
    }

    @Override
    public byte[] render(double[] state, int size) {
        checkVector("state", state, 7);
        return switch (frameStyle) {
            case QWM -> PushTRenderer.render(state, size);
            case DINOWM -> PushTDinoWmRenderer.render(state, size);
        };
    }

    static void checkVector(String what, double[] v, int dim) {
        if (v == null || v.length != dim) {
            throw new IllegalArgumentException("PushT " + what + " must have " + dim + " values, got "
                    + (v == null ? "null" : v.length));
        }
        for (int i = 0; i < dim; i++) {
            if (!Double.isFinite(v[i])) {
                throw new IllegalArgumentException("PushT " + what + "[" + i + "] is not finite: " + v[i]);
            }
        }
    }
}
