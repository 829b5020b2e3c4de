package dev.qwm.cli;

import dev.qwm.cli.options.BundleOutOptions;
import dev.qwm.env.EnvironmentKind;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.training.export.DinoWmScaleBundle;
import dev.qwm.training.export.RandomWeightsProvenance;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ./qwm model dinowm-scale --out DIR}: model bundles that are generated rather than trained. */
@Command(name = "model",
        description = "Generate model bundles that are not trained here.",
        subcommands = {ModelCommand.DinoWmScale.class})
public final class ModelCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "dinowm-scale",
            description = {"Write a bundle with DINO-WM's sizes and random weights (ViT-S/14-shaped encoder, 196 tokens "
                    + "of 384; predictor depth 6, 16 heads x 64, MLP 2048, 404-d tokens, numHist 3), for scale and speed "
                    + "tests. It plans nothing.",
                    "Example: ./qwm model dinowm-scale --out /tmp/dinowm-scale"})
    static final class DinoWmScale implements Callable<Integer> {

        @Mixin
        BundleOutOptions output;

        @Option(names = "--env", description = "wall or pusht: sets the proprio dimension (default: pusht).")
        String env;

        @Option(names = "--seed", defaultValue = "0", description = "Seed of the random weights (default: ${DEFAULT-VALUE}).")
        long seed;

        @Override
        public Integer call() {
            long t0 = System.nanoTime();
            Path out = output.out();
            ModelBundle b = DinoWmScaleBundle.write(output.target().check(), (env == null ? EnvironmentKind.PUSHT : EnvironmentKind.parse(env)).cliName(), seed);
            long bytes = b.manifest().components().values().stream().mapToLong(c -> c.bytes()).sum();
            System.out.printf("wrote %s: %s, %.1f MB in %.1f s%n", out, b.reference(), bytes / 1e6,
                    (System.nanoTime() - t0) / 1e9);
            System.out.println("parameters: " + RandomWeightsProvenance.of(b.manifest()).orElseThrow().parameters());
            return 0;
        }
    }
}
