package dev.qwm.cli;

import dev.qwm.env.Environment;
import dev.qwm.env.FrameStyle;
import dev.qwm.env.registry.Environments;
import dev.qwm.env.bench.EnvBenchmark;
import dev.qwm.env.pusht.PushTPushingPolicy;
import dev.qwm.env.EnvironmentKind;
import dev.qwm.env.dataset.Episode;
import dev.qwm.env.dataset.EpisodeGenerator;
import dev.qwm.env.pusht.PushTEpisodeGenerator;
import dev.qwm.env.render.Frames;
import dev.qwm.env.wall.WallEpisodeGenerator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./qwm env render|bench}: look at a task, and measure its simulator's speed. */
@Command(name = "env", mixinStandardHelpOptions = true, description = "Look at the Wall and PushT environments and measure their speed.",
        subcommands = {EnvCommand.Render.class, EnvCommand.Bench.class})
public final class EnvCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "render", mixinStandardHelpOptions = true, description = {"Render a start frame, or with --steps a strip of a dataset-policy trajectory, to PNG.",
            "Example: ./qwm env render --env pusht --seed 3 --steps 40 --every 8 --out pusht.png"})
    static final class Render implements Callable<Integer> {
        @Option(names = "--env", required = true, description = "wall or pusht.")
        String env;

        @Option(names = "--seed", defaultValue = "0", description = "Trajectory seed (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--index", defaultValue = "0", description = "Episode index within the seed's dataset (default: ${DEFAULT-VALUE}; Wall: every 4th is door-seeking, e.g. 3).")
        int index;

        @Option(names = "--steps", defaultValue = "0", description = "Env steps to simulate (default: ${DEFAULT-VALUE}: one frame).")
        int steps;

        @Option(names = "--every", defaultValue = "5", description = "Keep every N-th frame of the strip (default: ${DEFAULT-VALUE}, DINO-WM's frameskip).")
        int every;

        @Option(names = "--size", defaultValue = "224", description = "Frame side in pixels (default: ${DEFAULT-VALUE}).")
        int size;

        @Option(names = "--out", required = true, description = "PNG file to write.")
        Path out;

        @Option(names = "--state", split = ";", paramLabel = "V,V,...", description = "Draw these states instead of a "
                + "simulated trajectory (repeatable, or separated by ';'): the environment's full state (Wall x,y; PushT "
                + "agent x,y, block x,y, angle, agent vx,vy), one frame each, nothing simulated.")
        List<String> states;

        @Option(names = "--frame-style", defaultValue = "qwm", description = "qwm (what the shipped models were trained on) "
                + "or dinowm (DINO-WM's renderers, what its checkpoints were trained on; PushT differs) (default: ${DEFAULT-VALUE}).")
        String frameStyle;

        @Override
        public Integer call() throws Exception {
            if (steps < 0 || every < 1 || size < 8 || index < 0) {
                throw new IllegalArgumentException("need --steps >= 0, --every >= 1, --size >= 8, --index >= 0");
            }
            EnvironmentKind kind = EnvironmentKind.parse(env);
            FrameStyle style = FrameStyle.parse(frameStyle);
            if (states != null && !states.isEmpty()) {
                Environment e = Environments.create(kind, style);
                List<byte[]> frames = new ArrayList<>();
                for (String text : states) {
                    double[] state = java.util.Arrays.stream(text.split(",")).map(String::trim)
                            .mapToDouble(Double::parseDouble).toArray();
                    if (state.length != e.stateDim()) {
                        throw new IllegalArgumentException("--state " + text + ": " + kind.cliName() + " states have "
                                + e.stateDim() + " values, got " + state.length);
                    }
                    frames.add(e.render(state, size));
                }
                Frames.writePngStrip(out, frames, size);
                System.out.printf(Locale.ROOT, "wrote %s: %d frame(s) of %s states, %dx%d, %s frames%n", out,
                        frames.size(), kind.cliName(), size, size, style.cliName());
                return 0;
            }
            // the datasets' own policies: a random walk (Wall, whose frames are the same in both styles) or the
            // scripted pusher (PushT)
            EpisodeGenerator gen = kind == EnvironmentKind.WALL ? new WallEpisodeGenerator(seed)
                    : new PushTEpisodeGenerator(seed, new double[] {PushTPushingPolicy.DEFAULT_NOISE}, style);
            Episode e = gen.generate(index, Math.max(1, steps), size);
            List<byte[]> frames = new ArrayList<>();
            for (int t = 0; t <= steps; t += every) {
                frames.add(e.frame(t));
            }
            Frames.writePngStrip(out, frames, size);
            System.out.printf(Locale.ROOT, "wrote %s: %d frame(s) of %s (%s policy), %dx%d, start state %s%n", out,
                    frames.size(), kind.cliName(), e.policy(), size, size, java.util.Arrays.toString(e.state(0)));
            return 0;
        }
    }

    @Command(name = "bench", mixinStandardHelpOptions = true, description = "Env steps per second for each environment, with rendering off and on.")
    static final class Bench implements Callable<Integer> {
        @Option(names = "--seconds", defaultValue = "3", description = "Measuring time per row (default: ${DEFAULT-VALUE}).")
        double seconds;

        @Option(names = "--sizes", split = ",", defaultValue = "0,64,224", description = "Render sizes, 0 = no rendering (default: ${DEFAULT-VALUE}).")
        int[] sizes;

        @Option(names = "--frame-style", defaultValue = "qwm", description = "qwm or dinowm (default: ${DEFAULT-VALUE}).")
        String frameStyle;

        @Override
        public Integer call() {
            System.out.println("one thread; random actions; a frame rendered after every step when size > 0");
            System.out.printf(Locale.ROOT, "%-6s %8s %12s %10s%n", "env", "render", "steps/s", "us/step");
            for (EnvironmentKind kind : EnvironmentKind.values()) {
                for (int size : sizes) {
                    EnvBenchmark.Result r = EnvBenchmark.measure(kind, FrameStyle.parse(frameStyle), size, seconds);
                    System.out.printf(Locale.ROOT, "%-6s %8s %12.0f %10.1f%n", kind.cliName(),
                            size == 0 ? "off" : size + "px", r.stepsPerSecond(), r.microsPerStep());
                }
            }
            return 0;
        }
    }
}
