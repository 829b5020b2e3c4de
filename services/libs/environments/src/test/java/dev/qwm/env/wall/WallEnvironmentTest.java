package dev.qwm.env.wall;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.env.random.NumpyRandomState;
import dev.qwm.env.render.Frames;
import org.junit.jupiter.api.Test;

class WallEnvironmentTest {

    @Test
    void successRuleIsTheOfficialRadius() {
        WallEnvironment env = new WallEnvironment();
        env.reset(new double[] {20, 20});
        assertTrue(env.isSuccess(new double[] {20 + 4.49, 20}));
        assertFalse(env.isSuccess(new double[] {20 + 4.5, 20}));
        assertTrue(env.isSuccess(new double[] {23, 23})); // 4.24
        assertFalse(env.isSuccess(new double[] {24, 23})); // 5.0
        assertEquals(5.0, env.stateDistance(new double[] {24, 23}), 1e-12);
    }

    @Test
    void randomStateMatchesDinoWmForEvaluationSeeds() {
        // numpy transcription of DotWall.generate_random_state(seed) for seeds 99n + 1
        double[][] expected = {
            {1, 51.50990578064728, 7.405627241013368, 14.989800485586848, 22.27476257348652},
            {100, 43.46632280870709, 28.28626546485735, 17.289969940595572, 48.962985710139264},
            {199, 56.27311498280508, 27.075311146868316, 19.317208842341458, 48.932308010271754},
            {4852, 15.619379968334929, 14.593047915667983, 43.11830480123278, 34.46728508050312},
        };
        for (double[] e : expected) {
            double[][] sg = WallStartGoal.sample((long) e[0]);
            assertArrayEquals(new double[] {e[1], e[2]}, sg[0], 0.0, "start, seed " + e[0]);
            assertArrayEquals(new double[] {e[3], e[4]}, sg[1], 0.0, "goal, seed " + e[0]);
        }
    }

    @Test
    void randomStatePutsStartAndGoalInOppositeRooms() {
        for (int n = 0; n < 200; n++) {
            double[][] sg = WallStartGoal.sample(99L * n + 1);
            assertNotEquals(WallLayout.DEFAULT.side(sg[0][0]), WallLayout.DEFAULT.side(sg[1][0]), "seed " + (99 * n + 1));
        }
    }

    @Test
    void dotIsDrawnAtItsPixel() {
        WallEnvironment env = new WallEnvironment();
        env.reset(new double[] {20, 40});
        byte[] f = env.render(65);
        assertEquals(0xFF0000, Frames.pixel(f, 65, 40, 20), "brightest pixel is pure red");
        assertEquals(0xFFFFFF, Frames.pixel(f, 65, 10, 20), "far pixels are white");
        int side = Frames.pixel(f, 65, 40, 21);
        assertEquals(0xFF, side >> 16);
        assertTrue((side & 0xFF) > 0 && (side & 0xFF) < 255, "neighbour is partly red");
        assertEquals(0x000000, Frames.pixel(f, 65, 10, 32), "wall is black");
        assertEquals(0xFFFFFF, Frames.pixel(f, 65, 30, 32), "door is open");
        assertEquals(0x000000, Frames.pixel(f, 65, 4, 10), "top border line");
        assertEquals(0x000000, Frames.pixel(f, 65, 50, 60), "right border line");
    }

    @Test
    void redValuesFollowTheTruncatedGaussian() {
        // dot between pixels: exp(-d^2 / (2 * 1.7^2)) / max, truncated to uint8
        WallEnvironment env = new WallEnvironment();
        env.reset(new double[] {20.5, 40});
        byte[] f = env.render(65);
        double max = Math.exp(-0.25 / (2 * 1.7 * 1.7));
        int expectedGreen = 255 - (int) (255 * (Math.exp(-(1.5 * 1.5) / (2 * 1.7 * 1.7)) / max));
        assertEquals(expectedGreen, (Frames.pixel(f, 65, 40, 22) >> 8) & 0xFF);
        assertEquals(0, (Frames.pixel(f, 65, 40, 20) >> 8) & 0xFF);
        assertEquals(0, (Frames.pixel(f, 65, 40, 21) >> 8) & 0xFF);
    }

    @Test
    void sixtyFourIsTheCroppedGridAndOtherSizesResample() {
        WallEnvironment env = new WallEnvironment();
        env.reset(new double[] {45.3, 12.8});
        byte[] grid = env.render(65);
        byte[] small = env.render(64);
        for (int r = 0; r < 64; r++) {
            for (int c = 0; c < 64; c++) {
                assertEquals(Frames.pixel(grid, 65, r, c), Frames.pixel(small, 64, r, c));
            }
        }
        byte[] big = env.render(224);
        assertEquals(224 * 224 * 3, big.length);
        // reddest pixel of the 224 frame sits where the dot maps: (x + 0.5) * 224 / 65 - 0.5
        int bestR = 0;
        int bestC = 0;
        int bestG = 256;
        for (int r = 0; r < 224; r++) {
            for (int c = 0; c < 224; c++) {
                int p = Frames.pixel(big, 224, r, c);
                if ((p >> 16) == 0xFF && ((p >> 8) & 0xFF) < bestG) {
                    bestG = (p >> 8) & 0xFF;
                    bestR = r;
                    bestC = c;
                }
            }
        }
        assertEquals((45.3 + 0.5) * 224 / 65 - 0.5, bestC, 2.0);
        assertEquals((12.8 + 0.5) * 224 / 65 - 0.5, bestR, 2.0);
    }

    @Test
    void renderOfAStateDoesNotMoveTheDot() {
        WallEnvironment env = new WallEnvironment();
        env.reset(new double[] {10, 10});
        byte[] other = env.render(new double[] {50, 50}, 64);
        assertArrayEquals(new double[] {10, 10}, env.state(), 0.0);
        env.reset(new double[] {50, 50});
        assertArrayEquals(env.render(64), other);
    }

    @Test
    void sameActionsGiveByteIdenticalStatesAndFrames() {
        byte[][] a = rollout(3);
        byte[][] b = rollout(3);
        for (int i = 0; i < a.length; i++) {
            assertArrayEquals(a[i], b[i]);
        }
    }

    private static byte[][] rollout(long seed) {
        NumpyRandomState rs = new NumpyRandomState(seed);
        WallEnvironment env = new WallEnvironment();
        env.reset(WallStartGoal.sample(seed)[0]);
        byte[][] frames = new byte[51][];
        frames[0] = env.render(64);
        for (int t = 1; t <= 50; t++) {
            env.step(new double[] {rs.uniform(-1, 1), rs.uniform(-1, 1)});
            frames[t] = env.render(64);
        }
        return frames;
    }

    @Test
    void badInputIsRejectedWithItsName() {
        WallEnvironment env = new WallEnvironment();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> env.step(new double[] {1}));
        assertTrue(e.getMessage().contains("action"));
        e = assertThrows(IllegalArgumentException.class, () -> env.reset(new double[] {Double.NaN, 1}));
        assertTrue(e.getMessage().contains("not finite"));
    }

    @Test
    void macroActionStepsFiveTimesInOrder() {
        WallEnvironment a = new WallEnvironment();
        WallEnvironment b = new WallEnvironment();
        a.reset(new double[] {15, 15});
        b.reset(new double[] {15, 15});
        double[] macro = {0.1, 0.2, 0.3, -0.1, 0.5, 0.5, -0.2, 0.0, 0.4, 0.1};
        a.stepMacro(macro);
        for (int k = 0; k < 5; k++) {
            b.step(new double[] {macro[2 * k], macro[2 * k + 1]});
        }
        assertArrayEquals(b.state(), a.state(), 0.0);
    }
}
