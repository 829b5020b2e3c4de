package dev.qwm.env.eval;

/**
 * One evaluation episode's start and goal states (full simulator states, env units).
 *
 * @param seed   the episode's seed (DINO-WM: 99n + 1 for evaluation, 99n + 2 for calibration)
 * @param start  state to reset the simulator to
 * @param goal   state whose frame and proprio are the planning goal
 * @param origin where the pair comes from, for logs (e.g. "random_state" or "validation episode 17, steps 40..65")
 */
public record StartGoal(long seed, double[] start, double[] goal, String origin) {

    public StartGoal {
        start = start.clone();
        goal = goal.clone();
    }

    @Override
    public double[] start() {
        return start.clone();
    }

    @Override
    public double[] goal() {
        return goal.clone();
    }
}
