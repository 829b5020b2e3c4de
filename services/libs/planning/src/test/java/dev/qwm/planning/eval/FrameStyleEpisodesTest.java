package dev.qwm.planning.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.env.Environment;
import dev.qwm.env.FrameStyle;
import dev.qwm.env.pusht.PushTDinoWmRenderer;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.planning.ActionBatch;
import dev.qwm.planning.ActionNormalization;
import dev.qwm.planning.DataSplit;
import dev.qwm.planning.Latent;
import dev.qwm.planning.Observation;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.mpc.PlanningListener;
import dev.qwm.planning.WorldModel;
import dev.qwm.planning.cem.CemPlanner;
import dev.qwm.planning.mpc.EpisodeSpec;
import dev.qwm.planning.mpc.MpcEpisodeRunner;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A bundle's episodes draw the frames its manifest names, and a model is never shown frames of another style. */
class FrameStyleEpisodesTest {

    static BundleManifest pushT(String frameStyle) {
        return BundleManifest.builder().name("pusht-" + frameStyle).environment("pusht").frameStyle(frameStyle)
                .imageSize(224).patchSize(16).numPatches(196).latentDim(8).proprioDim(4).actionDim(10).numHist(1)
                .actionNormalisation(new double[10], new double[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1})
                .proprioNormalisation(new double[4], new double[] {1, 1, 1, 1})
                .build();
    }

    @Test
    void anImportedPushTBundlesEpisodesDrawDinoWmFrames(@TempDir Path dataset) {
        double[] state = {300.3, 207.6, 251.2, 268.9, 2.61, 0, 0};
        Environment env = EpisodeSources.forBundle(pushT("dinowm"), dataset).newEnvironment();
        assertEquals(FrameStyle.DINOWM, env.frameStyle());
        assertArrayEquals(PushTDinoWmRenderer.render(state, 224), env.render(state, 224));
        assertEquals(FrameStyle.QWM, EpisodeSources.forBundle(pushT("qwm"), dataset).newEnvironment().frameStyle());
    }

    @Test
    void theRunnerRefusesAnEnvironmentDrawingAnotherStyle(@TempDir Path dataset) {
        WorldModel model = new WorldModel() {
            public String reference() { return "pusht-dinowm"; }
            public String environment() { return "pusht"; }
            public int actionDim() { return 10; }
            public ActionNormalization actionNormalization() {
                return ActionNormalization.perEnvAction(new double[2], new double[] {1, 1}, 5);
            }
            public int imageSize() { return 224; }
            public FrameStyle frameStyle() { return FrameStyle.DINOWM; }
            public Latent encode(Observation observation) { throw new AssertionError("never encodes"); }
            public Latent[] rollout(Latent start, ActionBatch actions) { throw new AssertionError("never rolls out"); }
        };
        double[] start = {256, 400, 256, 300, 0, 0, 0};
        EpisodeSpec episode = new EpisodeSpec(0, 1, DataSplit.VALIDATION, start, start, "test");
        MpcEpisodeRunner runner = new MpcEpisodeRunner(model, new CemPlanner(), PlannerBudget.dinoWm("pusht"),
                EpisodeSources.pushT(dataset)::newEnvironment, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> runner.run(episode, 0, PlanningListener.NONE));
        assertTrue(e.getMessage().contains("reads dinowm frames but the environment draws qwm frames"), e.getMessage());
    }
}
