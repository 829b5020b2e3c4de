package dev.qwm.env.wall;

import dev.qwm.env.random.NumpyRandomState;

/**
 * DINO-WM's {@code goal_source: random_state} for Wall ({@code DotWall.generate_random_state(seed)}): with
 * {@code RandomState(seed)}, start x in the left room, goal x in the right room, both y over the full height,
 * then a coin swaps the rooms. Start and goal are therefore always on opposite sides of the wall, so half the
 * evaluation episodes must go through the door.
 *
 * <p>The room bounds use the faces of a wall at x = 32 (29 and 35), as DINO-WM's do even after
 * {@code update_env}; for the default layout they are the real faces. Draws are bit-identical to numpy.
 */
public final class WallStartGoal {

    private static final double START_MIN_X = WallLayout.BORDER_PADDING;                       // 7.4
    private static final double START_MAX_X = 29 - WallLayout.PADDING;                         // 25.6
    private static final double GOAL_MIN_X = 35 + WallLayout.PADDING;                          // 38.4
    private static final double GOAL_MAX_X = WallLayout.GRID - 1 - WallLayout.BORDER_PADDING;  // 56.6
    private static final double MIN_Y = WallLayout.BORDER_PADDING;
    private static final double MAX_Y = WallLayout.GRID - 1 - WallLayout.BORDER_PADDING;

    private WallStartGoal() {
    }

    /** {start, goal}, each (x, y). */
    public static double[][] sample(long seed) {
        NumpyRandomState rs = new NumpyRandomState(seed);
        double startX = rs.uniform(START_MIN_X, START_MAX_X);
        double goalX = rs.uniform(GOAL_MIN_X, GOAL_MAX_X);
        double startY = rs.uniform(MIN_Y, MAX_Y);
        double goalY = rs.uniform(MIN_Y, MAX_Y);
        if (rs.uniform(0, 1) < 0.5) {
            double t = startX;
            startX = goalX;
            goalX = t;
        }
        return new double[][] {{startX, startY}, {goalX, goalY}};
    }
}
