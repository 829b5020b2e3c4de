package dev.qwm.cli;

import dev.qwm.env.FrameStyle;
import dev.qwm.cli.options.BundleOutOptions;
import dev.qwm.env.EnvironmentKind;
import dev.qwm.env.registry.Environments;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.onnx.dinowm.DinoWmImport;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ./qwm import dinowm ...}: world models trained elsewhere, turned into qwm bundles. */
@Command(name = "import",
        description = "Turn world models trained elsewhere into qwm bundles.",
        subcommands = {ImportCommand.DinoWm.class})
public final class ImportCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "dinowm",
            description = {"Wrap DINO-WM's four exported modules (services/libs/training/scripts/export_dinowm.py "
                    + "writes them) into a bundle: uint8 frames in, the dataset normalisation, the predictor's "
                    + "[B,T,N,E] tensor. With --reference, every component must reproduce the exporter's outputs "
                    + "within 1e-4 of their largest value. Nothing is written unless everything checks.",
                    "Example: ./qwm import dinowm --onnx /tmp/dinowm-pusht --env pusht --stats /tmp/dinowm-pusht/stats.json "
                            + "--reference /tmp/dinowm-pusht --out models/dinowm-pusht"})
    static final class DinoWm implements Callable<Integer> {

        @Option(names = "--onnx", required = true, description = "Folder with dinowm_visual_encoder.onnx, "
                + "dinowm_proprio_encoder.onnx, dinowm_action_encoder.onnx, dinowm_predictor.onnx.")
        Path onnx;

        @Option(names = "--env", required = true, description = "wall or pusht: the environment the model was trained on.")
        String env;

        @Option(names = "--stats", required = true, description = "JSON with actionMean, actionStd (per environment "
                + "action dimension, before frameskip), proprioMean, proprioStd, as DINO-WM's dataset computes them.")
        Path stats;

        @Mixin
        BundleOutOptions output;

        @Option(names = "--reference", description = "Folder with <component>.input.npy and <component>.expected.npy "
                + "for visual_encoder, proprio_encoder, action_encoder and predictor.")
        Path reference;

        @Option(names = "--name", description = "The bundle's name (default: dinowm-<env>).")
        String name;

        @Option(names = "--num-hist", description = "Frames of history, when the predictor graph does not tell.")
        Integer numHist;

        @Option(names = "--input-name", description = "COMPONENT=NAME: the graph input to wrap, when several fit.")
        Map<String, String> inputNames;

        @Option(names = "--output-name", description = "COMPONENT=NAME: the graph output to wrap, when several fit.")
        Map<String, String> outputNames;

        @Override
        public Integer call() {
            long t0 = System.nanoTime();
            Path out = output.out();
            var target = output.target().source(onnx, "--onnx");
            if (reference != null) {
                target.source(reference, "--reference");
            }
            target.check();
            var options = new DinoWmImport.Options(onnx, env.toLowerCase(Locale.ROOT), stats, reference, name,
                    inputNames, outputNames, numHist);
            DinoWmImport.Prepared prepared = DinoWmImport.prepare(options);
            requireEnvironmentFits(prepared.manifest());
            ModelBundle.Writer w = ModelBundle.writer(prepared.manifest());
            prepared.graphs().forEach(w::component);
            ModelBundle b = w.write(target);
            var m = b.manifest();
            System.out.printf(Locale.ROOT, "imported %s: %s, %d tokens of %d per frame (%d px, patch %d), predictor "
                            + "tokens %d, numHist %d, frameskip %d%n", out, b.reference(), m.numPatches(),
                    m.latentDim(), m.imageSize(), m.patchSize(), m.tokenDim(), m.numHist(), m.frameskip());
            for (DinoWmImport.ReferenceCheck c : prepared.references()) {
                System.out.printf(Locale.ROOT, "  reference %-16s max |diff| %.3g = %.3g of its largest value %.4g%n",
                        c.component(), c.maxAbsDiff(), c.relative(), c.maxAbsExpected());
            }
            System.out.printf(Locale.ROOT, "in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            return 0;
        }

        /** The graphs' proprio and action sizes must be the environment's, or planning would fail much later. */
        private static void requireEnvironmentFits(dev.qwm.onnx.bundle.BundleManifest m) {
            EnvironmentKind kind = EnvironmentKind.parse(m.environment());
            var e = Environments.create(kind, FrameStyle.parse(m.frameStyle()));
            if (e.proprioDim() != m.proprioDim() || e.actionDim() != m.envActionDim()) {
                throw new IllegalArgumentException("--env " + kind.cliName() + " has " + e.proprioDim()
                        + "-D proprio and " + e.actionDim() + "-D actions; the exported encoders take "
                        + m.proprioDim() + "-D proprio and " + m.envActionDim() + "-D actions (" + m.actionDim()
                        + " = frameskip " + m.frameskip() + " x " + m.envActionDim() + "): another environment's model?");
            }
        }
    }
}
