package dev.qwm.env.wall;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.env.random.NumpyRandomState;
import org.junit.jupiter.api.Test;

class WallDynamicsTest {

    private static double[] step(double x, double y, double ax, double ay) {
        WallEnvironment env = new WallEnvironment();
        env.reset(new double[] {x, y});
        env.step(new double[] {ax, ay});
        return env.state();
    }

    /**
     * Expected positions from a line-by-line numpy transcription of DINO-WM's {@code check_wall_intersect}
     * (float64), for moves that hit each rule.
     */
    @Test
    void matchesOfficialCollisionRuleOnHandMadeMoves() {
        double[][] cases = {
            // x, y, ax, ay, expected x, expected y
            {20, 10, 3, 0.5, 26.0, 11.0},                              // free move
            {20, 30, 4, 0.2, 28.0, 30.4},                              // stops short of the wall face
            {40, 20, -4, 1, 35.5, 21.75},                              // right room: hits the wall's right face
            {31, 31, 0.3, 2, 31.95, 33.5},                             // in the door: lower jamb
            {31, 29, -0.2, -2.5, 31.26, 26.5},                         // in the door: upper jamb
            {10, 10, -4, -3, 4.5, 6.0},                                // left border
            {50, 55, 2, 3, 53.833333333333336, 59.5},                  // bottom border
            {26, 27, 3, -1, 32.0, 25.0},                               // grazes the door edge (official arithmetic)
            {28, 40, 1.5, 0.3, 28.5, 40.699999999999996},              // hits the left face below the door
            {36, 33, -2, 1.5, 35.166666666666664, 33.5},               // enters the door, jamb
            {20, 20, 0.7, -0.4, 21.4, 19.2},
            {45, 58, 0.5, 2.0, 46.0, 59.5},
        };
        for (double[] c : cases) {
            double[] got = step(c[0], c[1], c[2], c[3]);
            assertArrayEquals(new double[] {c[4], c[5]}, got, 1e-12,
                    () -> "from (" + c[0] + ", " + c[1] + ") by (" + c[2] + ", " + c[3] + ")");
        }
    }

    @Test
    void wallBlocksOutsideTheDoor() {
        // straight right at y = 10 (far from the door rows 26..34): the dot stays in the left room
        WallEnvironment env = new WallEnvironment();
        env.reset(new double[] {20, 10});
        for (int i = 0; i < 20; i++) {
            env.step(new double[] {1.0, 0.0});
            assertTrue(env.state()[0] < 29, "dot went into the wall: " + env.state()[0]);
        }
    }

    @Test
    void doorLetsTheDotThrough() {
        WallEnvironment env = new WallEnvironment();
        env.reset(new double[] {20, 30});
        for (int i = 0; i < 12; i++) {
            env.step(new double[] {1.0, 0.0});
        }
        assertTrue(env.state()[0] > 35, "dot did not pass the door: " + env.state()[0]);
        assertEquals(30, env.state()[1], 1e-12);
    }

    @Test
    void tenThousandRandomStepsNeverTunnelOrLeave() {
        WallLayout layout = WallLayout.DEFAULT;
        WallEnvironment env = new WallEnvironment();
        NumpyRandomState rs = new NumpyRandomState(7);
        env.reset(new double[] {15, 15});
        int crossings = 0;
        for (int i = 0; i < 10_000; i++) {
            double[] before = env.state();
            double len = rs.uniform(0, 3);
            double heading = rs.uniform(0, 2 * Math.PI);
            env.step(new double[] {len * Math.cos(heading), len * Math.sin(heading)});
            double[] s = env.state();
            assertTrue(Double.isFinite(s[0]) && Double.isFinite(s[1]), "non-finite state at step " + i);
            assertTrue(s[0] > 4 && s[0] < 60 && s[1] > 4 && s[1] < 60, "left the arena at step " + i + ": "
                    + s[0] + "," + s[1]);
            // a change of room must happen through the door rows
            if (layout.side(before[0]) != layout.side(s[0])) {
                crossings++;
                double yAtWall = before[1] + (s[1] - before[1]) * (layout.wallX() - before[0]) / (s[0] - before[0]);
                assertTrue(yAtWall >= layout.doorBottom() - 1.5 && yAtWall <= layout.doorTop() + 1.5,
                        "crossed the wall outside the door at step " + i + " (y=" + yAtWall + ")");
            }
        }
        assertTrue(crossings > 0, "10,000 random steps never went through the door");
    }

    @Test
    void zeroActionKeepsTheDotStill() {
        assertArrayEquals(new double[] {31.5, 33.0}, step(31.5, 33.0, 0, 0), 0.0);
    }

    @Test
    void exactlyVerticalMoveIntoBorderStaysFinite() {
        double[] s = step(20, 6, 0, -2);
        assertFalse(Double.isNaN(s[0]));
        assertEquals(20.5, s[0], 1e-12); // hit point x + 0.5, DINO-WM's constant offset
        assertEquals(4.5, s[1], 1e-12);
    }
}
