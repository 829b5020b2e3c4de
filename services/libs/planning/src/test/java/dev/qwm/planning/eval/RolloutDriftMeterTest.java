package dev.qwm.planning.eval;

import dev.qwm.env.FrameStyle;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.qwm.planning.ActionBatch;
import dev.qwm.planning.ActionNormalization;
import dev.qwm.planning.Latent;
import dev.qwm.planning.Observation;
import dev.qwm.planning.WorldModel;
import dev.qwm.planning.oracle.OracleWorldModel;
import java.util.List;
import org.junit.jupiter.api.Test;

class RolloutDriftMeterTest {

    private static final EpisodeSource WALL = EpisodeSources.wall();

    @Test
    void normalizeInvertsToEnvActions() {
        ActionNormalization n = ActionNormalization.perEnvAction(new double[] {0.1, -0.2}, new double[] {0.5, 2}, 3);
        float[] macro = {0.3f, -1f, 2f, 0f, -0.5f, 1.5f};
        assertArrayEquals(macro, n.normalize(n.toEnvActions(macro, 0)), 1e-6f);
        assertThrows(IllegalArgumentException.class, () -> n.normalize(new double[2][2]));
    }

    @Test
    void theTrueDynamicsDoNotDriftAndAnOffsetModelDriftsByItsOffsetSquared() {
        List<RolloutDriftMeter.Segment> segments = RolloutDriftMeter.segments("wall", 6, 4, 5, 16);
        try (WorldModel oracle = OracleWorldModel.withDinoWmActionStatistics(WALL::newEnvironment);
             WorldModel reference = OracleWorldModel.withDinoWmActionStatistics(WALL::newEnvironment)) {
            RolloutDriftMeter.Drift exact = RolloutDriftMeter.measure(oracle, reference, segments);
            assertEquals(6, exact.segments());
            for (int h = 0; h < 4; h++) {
                assertEquals(0, exact.againstReference()[h], 1e-12, "oracle vs itself at " + (h + 1));
                // the oracle replays the recorded trajectory: only float rounding of the state separates them
                assertEquals(0, exact.againstReal()[h], 1e-6, "oracle vs the real observation at " + (h + 1));
            }
            RolloutDriftMeter.Drift shifted = RolloutDriftMeter.measure(new Offset(oracle, 0.25f), reference, segments);
            for (int h = 0; h < 4; h++) {
                assertEquals(0.0625, shifted.againstReference()[h], 1e-6, "offset model vs reference at " + (h + 1));
                // its own encoding is shifted too, so against the real observations it is as exact as the oracle
                assertEquals(0, shifted.againstReal()[h], 1e-6);
            }
        }
    }

    @Test
    void segmentsAreFixedAcrossCalls() {
        var a = RolloutDriftMeter.segments("wall", 2, 3, 5, 8);
        var b = RolloutDriftMeter.segments("wall", 2, 3, 5, 8);
        assertArrayEquals(a.get(1).reached()[2].state(), b.get(1).reached()[2].state());
        assertThrows(IllegalArgumentException.class, () -> RolloutDriftMeter.segments("wall", 0, 3, 5, 8));
    }

    /** A model whose imagined latents are the wrapped model's plus a constant; its encodings are shifted alike. */
    private record Offset(WorldModel inner, float offset) implements WorldModel {
        public String reference() { return "offset"; }
        public String environment() { return inner.environment(); }
        public int actionDim() { return inner.actionDim(); }
        public ActionNormalization actionNormalization() { return inner.actionNormalization(); }
        public int imageSize() { return inner.imageSize(); }

        public FrameStyle frameStyle() { return inner.frameStyle(); }

        public Latent encode(Observation observation) {
            return shift(inner.encode(observation), offset);
        }

        public Latent[] rollout(Latent start, ActionBatch actions) {
            Latent[] out = inner.rollout(shift(start, -offset), actions);
            for (int i = 0; i < out.length; i++) {
                out[i] = shift(out[i], offset);
            }
            return out;
        }

        private static Latent shift(Latent l, float by) {
            float[] v = l.visual().clone();
            for (int i = 0; i < v.length; i++) {
                v[i] += by;
            }
            return new Latent(v, l.proprio());
        }
    }
}
