package dev.qwm.planning.eval;

import dev.qwm.env.Environment;
import dev.qwm.env.FrameStyle;
import dev.qwm.planning.DataSplit;
import dev.qwm.planning.mpc.EpisodeSpec;

/**
 * A task's evaluation episodes: fresh simulator instances and the seeded start/goal pair of each episode,
 * as DINO-WM draws them ({@code random_state} for Wall, a replayed dataset segment for PushT).
 */
public interface EpisodeSource {

    /** The {@link dev.qwm.env.EnvironmentKind#cliName()} of its environment. */
    String environment();

    /** How its environments draw their frames. */
    FrameStyle frameStyle();

    Environment newEnvironment();

    EpisodeSpec episode(int index, long seed, DataSplit split);
}
