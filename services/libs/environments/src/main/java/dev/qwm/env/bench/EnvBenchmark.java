package dev.qwm.env.bench;

import dev.qwm.env.Environment;
import dev.qwm.env.EnvironmentKind;
import dev.qwm.env.FrameStyle;
import dev.qwm.env.pusht.PushTEnvironment;
import dev.qwm.env.random.NumpyRandomState;
import dev.qwm.env.registry.Environments;

/**
 * Env steps per second of one environment on the calling thread, under random actions of the datasets' scale,
 * with or without rendering a frame after every step. Warms the JIT up first.
 */
public final class EnvBenchmark {

    /** steps/s and the mean cost of one step (µs). */
    public record Result(EnvironmentKind kind, int renderSize, long steps, double seconds) {
        public double stepsPerSecond() {
            return steps / seconds;
        }

        public double microsPerStep() {
            return seconds * 1e6 / steps;
        }
    }

    private EnvBenchmark() {
    }

    /**
     * @param renderSize frame side rendered after each step, or 0 for physics only
     * @param seconds    measuring time (after an equal warm-up, at most 2 s)
     */
    public static Result measure(EnvironmentKind kind, FrameStyle style, int renderSize, double seconds) {
        run(kind, style, renderSize, Math.min(2.0, seconds), 1);
        return run(kind, style, renderSize, seconds, 2);
    }

    private static Result run(EnvironmentKind kind, FrameStyle style, int renderSize, double seconds, long seed) {
        Environment env = Environments.create(kind, style);
        NumpyRandomState rs = new NumpyRandomState(seed);
        double scale = kind == EnvironmentKind.WALL ? 0.45 : 0.2;
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        long steps = 0;
        long sink = 0;
        long start = System.nanoTime();
        long now = start;
        while (now < deadline) {
            if (steps % 100 == 0) {
                env.reset(kind == EnvironmentKind.WALL ? new double[] {16, 30}
                        : PushTEnvironment.randomState(rs));
            }
            env.step(new double[] {rs.normal(0, scale), rs.normal(0, scale)});
            if (renderSize > 0) {
                sink += env.render(renderSize)[0];
            }
            steps++;
            if ((steps & 15) == 0) {
                now = System.nanoTime();
            }
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        if (sink == Long.MIN_VALUE) {
            System.out.print(""); // keeps the frames alive for the JIT
        }
        return new Result(kind, renderSize, steps, elapsed);
    }
}
