package dev.qwm.cli.options;

import dev.qwm.env.EnvironmentKind;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --dataset}: where PushT's goals come from (Wall's come from the simulator and need none). */
public final class PushtDatasetOption {

    @Option(names = "--dataset", paramLabel = "DIR", description = "PushT: the dataset whose trajectories give the goals "
            + "(default: .qwm/data/pusht under QWM_HOME).")
    Path dataset;

    /** The folder given with --dataset, or null. */
    public Path given() {
        return dataset;
    }

    /**
     * The dataset for {@code environment}: the one given, else none for Wall and the default one for PushT.
     *
     * @param trajectories which trajectories give the goals, for the error: e.g. "validation" or "training"
     * @throws IllegalArgumentException if PushT has no dataset at the default place
     */
    public Path resolve(String environment, String trajectories) {
        if (dataset != null || !EnvironmentKind.parse(environment).goalsFromDataset()) {
            return dataset;
        }
        Path fallback = Path.of(System.getenv().getOrDefault("QWM_HOME", ".")).resolve(".qwm/data/pusht");
        if (!Files.isDirectory(fallback)) {
            throw new IllegalArgumentException("PushT goals come from a dataset's " + trajectories + " trajectories and"
                    + " there is none at " + fallback + ": pass --dataset DIR or make one with ./qwm dataset --env pusht"
                    + " --out .qwm/data/pusht");
        }
        return fallback;
    }
}
