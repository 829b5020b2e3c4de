package dev.qwm.cli.options;

import dev.qwm.files.StagedWrite;
import dev.qwm.onnx.bundle.ModelBundle;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --out DIR} and {@code --force} of the commands that write a bundle: an existing bundle in DIR is replaced
 * only with {@code --force}, and only once the new one is complete.
 */
public final class BundleOutOptions {

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Bundle folder to write (model.json "
            + "+ ONNX files); must not hold a bundle unless --force, and is never one of the command's inputs.")
    Path out;

    @Option(names = "--force", description = "Replace a bundle already in --out (kept until the new one is complete).")
    boolean force;

    public Path out() {
        return out;
    }

    /** The staged write of the bundle; {@code check()} it before the long work, so that a refusal comes first. */
    public StagedWrite target() {
        return ModelBundle.target(out, "--out").force(force);
    }
}
