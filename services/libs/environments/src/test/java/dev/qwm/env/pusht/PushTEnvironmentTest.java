package dev.qwm.env.pusht;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.env.random.NumpyRandomState;
import dev.qwm.env.render.Frames;
import org.junit.jupiter.api.Test;

class PushTEnvironmentTest {

    private static PushTEnvironment at(double... state) {
        PushTEnvironment env = new PushTEnvironment();
        env.reset(state);
        return env;
    }

    @Test
    void resetPlacesTheBodiesExactlyAndRunsOnePhysicsStep() {
        PushTEnvironment env = at(100, 100, 300, 300, 1.25, 0, 0);
        assertArrayEquals(new double[] {100, 100, 300, 300, 1.25, 0, 0}, env.state(), 1e-12);
        // with a velocity, the agent has moved by v·0.01 (DINO-WM's _set_state steps the space once)
        env = at(100, 100, 300, 300, 1.25, 100, -50);
        assertEquals(101.0, env.state()[0], 1e-9);
        assertEquals(99.5, env.state()[1], 1e-9);
        assertArrayEquals(new double[] {100, -50}, new double[] {env.state()[5], env.state()[6]}, 1e-12);
    }

    @Test
    void pdControlCoversThirtyPercentOfTheOffsetFromRest() {
        PushTEnvironment env = at(100, 100, 300, 300, 0, 0, 0);
        env.step(new double[] {0.1, 0}); // target 10 px to the right
        double[] s = env.state();
        assertEquals(2.96, s[0] - 100, 0.06);      // ≈ 0.296 of the offset
        assertEquals(37.4, s[5], 0.8);             // ≈ 3.74 offsets per second
        assertEquals(100, s[1], 1e-12);
    }

    @Test
    void pushMovesAndTurnsTheT() {
        // agent below the stem's end, right of its axis, pushing up
        PushTEnvironment env = at(266, 420, 256, 250, 0, 0, 0);
        for (int i = 0; i < 12; i++) {
            env.step(new double[] {0, -0.25});
        }
        double[] s = env.state();
        assertTrue(s[3] < 240, "block did not move up: y=" + s[3]);
        double turn = PushTEnvironment.angleDifference(s[4], 0);
        assertTrue(turn > 0.05, "block did not turn: " + turn);
        // pushed right of the centre line with y down: the T turns counter-clockwise on screen (angle decreases)
        assertTrue(s[4] > Math.PI, "expected a negative (wrapped) angle, got " + s[4]);
    }

    @Test
    void centredPushTranslatesWithoutTurning() {
        PushTEnvironment env = at(256, 420, 256, 250, 0, 0, 0);
        for (int i = 0; i < 10; i++) {
            env.step(new double[] {0, -0.2});
        }
        double[] s = env.state();
        assertTrue(s[3] < 245, "block did not move: " + s[3]);
        assertTrue(PushTEnvironment.angleDifference(s[4], 0) < 1e-6, "centred push turned the block: " + s[4]);
        assertEquals(256, s[2], 1e-6);
    }

    @Test
    void blockAloneDoesNotMove() {
        PushTEnvironment env = at(60, 60, 300, 300, 0.7, 0, 0);
        for (int i = 0; i < 20; i++) {
            env.step(new double[] {0.1, 0});
        }
        double[] s = env.state();
        assertEquals(300, s[2], 1e-9);
        assertEquals(300, s[3], 1e-9);
        assertEquals(0.7, s[4], 1e-9);
    }

    @Test
    void agentPassesThroughWallsButTheBlockDoesNot() {
        PushTEnvironment env = at(30, 256, 300, 300, 0, 0, 0);
        for (int i = 0; i < 10; i++) {
            env.step(new double[] {-0.3, 0});
        }
        assertTrue(env.state()[0] < 0, "agent should pass the wall as in Chipmunk: x=" + env.state()[0]);

        // bar's left end 10 px from the left wall's face (x = 7), agent pushing it left for 3 s
        PushTEnvironment push = at(150, 15 + 100, 77, 100, 0, 0, 0);
        for (int i = 0; i < 30; i++) {
            push.step(new double[] {-0.15, 0});
        }
        double[] s = push.state();
        double leftmost = Math.min(
                PushTGeometry.toWorld(s[2], s[3], s[4], -60, 0)[0], PushTGeometry.toWorld(s[2], s[3], s[4], -60, 30)[0]);
        assertTrue(leftmost > 7 - 1.0, "block went into the wall: leftmost x=" + leftmost);
    }

    @Test
    void tenThousandPushingStepsNeverTunnelOrBlowUp() {
        NumpyRandomState rs = new NumpyRandomState(21);
        PushTEnvironment env = at(PushTEnvironment.randomState(3));
        PushTPushingPolicy policy = new PushTPushingPolicy(rs);
        int moving = 0;
        double deepest = 0;
        for (int t = 0; t < 10_000; t++) {
            double[] before = env.state();
            double[] a = t % 10 == 9 ? new double[] {rs.normal(0, 0.3), rs.normal(0, 0.3)} : policy.act(before);
            env.step(a);
            double[] s = env.state();
            for (double v : s) {
                assertTrue(Double.isFinite(v), "non-finite state at step " + t);
            }
            for (double[][] part : new double[][][] {PushTGeometry.BAR, PushTGeometry.STEM}) {
                for (double[] v : PushTGeometry.toWorld(s[2], s[3], s[4], part)) {
                    // a block squeezed between the (infinite-mass) agent and a wall may sink in a little, never through
                    double depth = Math.max(Math.max(7 - v[0], v[0] - 504), Math.max(7 - v[1], v[1] - 504));
                    deepest = Math.max(deepest, depth);
                    assertTrue(depth < 15, "block corner " + depth + " px into a wall at step " + t);
                }
            }
            double[] cog = PushTGeometry.toWorld(s[2], s[3], s[4], 0, 45);
            assertTrue(cog[0] > 7 && cog[0] < 504 && cog[1] > 7 && cog[1] < 504, "block left the arena at step " + t);
            double jump = Math.hypot(s[2] - before[2], s[3] - before[3]);
            assertTrue(jump < 80, "block jumped " + jump + " px in one step at " + t);
            if (jump > 0.5) {
                moving++;
            }
        }
        assertTrue(moving > 1000, "the pushing policy moved the block in only " + moving + " steps");
        System.out.printf("10,000 PushT steps: block moved in %d, deepest wall penetration %.2f px%n", moving, deepest);
    }

    @Test
    void successRuleMatchesTheOfficialOne() {
        double[] goal = {200, 200, 300, 300, 0.1, 0, 0};
        // joint 4-D position norm: 15 + 15 px on agent and block is 21.2 > 20 even though each is < 20
        assertFalse(PushTEnvironment.isSuccess(goal, new double[] {215, 200, 315, 300, 0.1, 0, 0}));
        assertTrue(PushTEnvironment.isSuccess(goal, new double[] {210, 200, 310, 300, 0.1, 0, 0}));
        // angles wrap: 0.1 vs 2π − 0.1 differ by 0.2 rad < π/9
        assertTrue(PushTEnvironment.isSuccess(goal, new double[] {200, 200, 300, 300, 2 * Math.PI - 0.1, 50, 50}));
        assertFalse(PushTEnvironment.isSuccess(goal, new double[] {200, 200, 300, 300, 0.1 + Math.PI / 9 + 1e-3, 0, 0}));
        assertTrue(PushTEnvironment.isSuccess(goal, new double[] {200, 200, 300, 300, 0.1 - Math.PI / 9 + 1e-3, 0, 0}));
        // velocities are ignored by success but counted by the state distance
        PushTEnvironment env = at(200, 200, 300, 300, 0.1, 0, 0);
        assertTrue(env.isSuccess(goal));
        assertEquals(0, env.stateDistance(goal), 1e-9);
        assertEquals(Math.PI, PushTEnvironment.angleDifference(0, Math.PI), 1e-12);
        assertEquals(0.2, PushTEnvironment.angleDifference(-0.1, 0.1), 1e-12);
    }

    @Test
    void randomResetMatchesDiffusionPolicy() {
        // numpy: rs = RandomState(1); randint(50,450) ×2 → 87, 285; randint(100,400) ×2; randn()*2π − π
        double[] s = PushTEnvironment.randomState(1);
        assertEquals(87, s[0]);
        assertEquals(285, s[1]);
        assertEquals(7, s.length);
        assertEquals(0, s[5]);
    }

    @Test
    void replayIsDeterministicOnFreshAndReusedEnvironments() {
        double[] start = {150, 380, 250, 260, 2.0, 0, 0};
        double[][] actions = new double[40][];
        NumpyRandomState rs = new NumpyRandomState(5);
        for (int i = 0; i < actions.length; i++) {
            actions[i] = new double[] {rs.normal(0, 0.3), rs.normal(-0.1, 0.3)};
        }
        PushTEnvironment reused = at(300, 300, 100, 100, 0, 10, 10);
        for (int i = 0; i < 5; i++) {
            reused.step(actions[i]);
        }
        double[] a = rollout(new PushTEnvironment(), start, actions);
        double[] b = rollout(reused, start, actions);
        assertArrayEquals(a, b, 0.0);
    }

    private static double[] rollout(PushTEnvironment env, double[] start, double[][] actions) {
        env.reset(start);
        for (double[] a : actions) {
            env.step(a);
        }
        return env.state();
    }

    @Test
    void framesShowAgentBlockGoalAndWalls() {
        double[] state = {256, 100, 120, 380, 0, 0, 0};
        byte[] f = new PushTEnvironment().render(state, 64);
        int agent = Frames.pixel(f, 64, 12, 32);        // (100, 256) / 8
        assertTrue(isBlueish(agent), Integer.toHexString(agent));
        double[] blockCog = PushTGeometry.toWorld(120, 380, 0, 0, 60); // inside the stem
        int block = Frames.pixel(f, 64, (int) (blockCog[1] / 8), (int) (blockCog[0] / 8));
        assertTrue(isGrey(block), Integer.toHexString(block));
        double[] goalCog = PushTGeometry.toWorld(256, 256, Math.PI / 4, 0, 70);
        int goal = Frames.pixel(f, 64, (int) (goalCog[1] / 8), (int) (goalCog[0] / 8));
        assertEquals(0x90EE90, goal, "LightGreen goal T");
        assertEquals(0xFFFFFF, Frames.pixel(f, 64, 5, 55), "background");
        int wall = Frames.pixel(f, 64, 32, 0);
        assertTrue((wall & 0xFF) < 255 && (wall & 0xFF) > 150, "wall line: " + Integer.toHexString(wall));
        // the agent moves one pixel when its state moves 8 px
        byte[] g = new PushTEnvironment().render(new double[] {256 + 80, 100, 120, 380, 0, 0, 0}, 64);
        assertTrue(isBlueish(Frames.pixel(g, 64, 12, 42)));
        assertEquals(0xFFFFFF, Frames.pixel(g, 64, 12, 32));
    }

    private static boolean isBlueish(int rgb) {
        int r = rgb >> 16;
        int b = rgb & 0xFF;
        return b > 200 && r < 100;
    }

    private static boolean isGrey(int rgb) {
        return rgb == 0x8FA3B8 || rgb == 0x778899;
    }

    @Test
    void renderingIsAPureFunctionOfTheState() {
        PushTEnvironment env = at(200, 150, 300, 320, 0.4, 20, -10);
        byte[] a = env.render(96);
        byte[] b = new PushTEnvironment().render(env.state(), 96);
        assertArrayEquals(a, b);
        assertEquals(224 * 224 * 3, env.render(224).length);
    }
}
