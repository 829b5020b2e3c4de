package dev.qwm.env.pusht;

import dev.qwm.env.FrameStyle;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.env.dataset.Episode;
import dev.qwm.env.dataset.EpisodeGenerator;
import org.junit.jupiter.api.Test;

class PushTEpisodeGeneratorTest {

    @Test
    void scriptedPusherMovesTheBlockInManySteps() {
        PushTEpisodeGenerator g = new PushTEpisodeGenerator(1);
        EpisodeGenerator.DataMetrics m = g.newMetrics();
        for (int i = 0; i < 12; i++) {
            m.add(g.generate(i, 100, 16));
        }
        double fraction = (Double) m.result().get("blockMovingStepFraction");
        assertTrue(fraction > 0.25, "block moves in only " + fraction + " of the steps");
        assertEquals(1.0, (Double) m.result().get("episodesWhereBlockMoves"));
    }

    @Test
    void storedEpisodeReplaysExactly() {
        Episode e = new PushTEpisodeGenerator(2).generate(3, 40, 32);
        assertFalse(PushTEpisodeGenerator.agentTouchesBlock(e.state(0)));
        assertTrue(PushTEpisodeGenerator.blockInsideArena(e.state(0)));
        PushTEnvironment env = new PushTEnvironment();
        env.reset(e.state(0));
        assertArrayEquals(e.frame(0), env.render(32));
        for (int t = 0; t < e.steps(); t++) {
            env.step(e.action(t));
            double[] s = env.state();
            for (int i = 0; i < 7; i++) {
                assertEquals((float) s[i], (float) e.state(t + 1)[i], "state " + i + " at step " + (t + 1));
            }
            assertArrayEquals(PushTEnvironment.proprioOfState(e.state(t + 1)), e.proprio(t + 1), 0.0);
        }
        assertArrayEquals(env.render(32), e.frame(e.steps()));
    }

    @Test
    void aDinoWmStyleGeneratorDrawsDinoWmFramesOfTheSameTrajectory() {
        Episode q = new PushTEpisodeGenerator(2).generate(3, 20, 32);
        Episode d = new PushTEpisodeGenerator(2, new double[] {PushTPushingPolicy.DEFAULT_NOISE}, FrameStyle.DINOWM)
                .generate(3, 20, 32);
        assertArrayEquals(q.states(), d.states()); // the style changes the frames only
        PushTEnvironment env = new PushTEnvironment(FrameStyle.DINOWM);
        env.reset(d.state(0));
        assertArrayEquals(PushTDinoWmRenderer.render(env.state(), 32), d.frame(0));
        for (int t = 0; t < d.steps(); t++) {
            env.step(d.action(t));
        }
        assertArrayEquals(PushTDinoWmRenderer.render(env.state(), 32), d.frame(d.steps()));
        assertFalse(java.util.Arrays.equals(q.frame(0), d.frame(0)));
    }

    @Test
    void sameSeedAndIndexGiveIdenticalBytes() {
        Episode a = new PushTEpisodeGenerator(4).generate(9, 30, 24);
        Episode b = new PushTEpisodeGenerator(4).generate(9, 30, 24);
        assertArrayEquals(a.frames(), b.frames());
        assertArrayEquals(a.states(), b.states());
        assertArrayEquals(a.actions(), b.actions());
    }

    @Test
    void actionScaleIsNearTheOfficialDataset() {
        PushTEpisodeGenerator g = new PushTEpisodeGenerator(6);
        double sumSq = 0;
        int n = 0;
        for (int i = 0; i < 6; i++) {
            for (float a : g.generate(i, 100, 8).actions()) {
                sumSq += a * a;
                n++;
            }
        }
        double rms = Math.sqrt(sumSq / n);
        // DINO-WM's pusht_noise: ACTION_STD ≈ 0.20 (units of 100 px)
        assertTrue(rms > 0.1 && rms < 0.3, "action rms " + rms);
    }

    @Test
    void noiseLevelsCycleOverTrajectoriesAndTheDefaultIsUnchanged() {
        PushTEpisodeGenerator levels = new PushTEpisodeGenerator(5, new double[] {0.03, 0.2});
        PushTEpisodeGenerator plain = new PushTEpisodeGenerator(5);
        // trajectory 0 gets the first level, the default: the same bytes as before levels existed
        assertArrayEquals(plain.generate(0, 30, 8).actions(), levels.generate(0, 30, 8).actions());
        // odd trajectories get 0.2: their actions jitter far more from step to step than the default pusher's
        double noisy = 0;
        double calm = 0;
        for (int i = 1; i < 8; i += 2) {
            noisy += jitter(levels.generate(i, 100, 8));
            calm += jitter(plain.generate(i, 100, 8));
        }
        assertTrue(noisy > 2 * calm, "jitter " + noisy + " with level 0.2 vs " + calm + " with the default");
    }

    @Test
    void impossibleNoiseLevelsAreRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PushTEpisodeGenerator(1, new double[] {0.1, -0.2}));
        assertTrue(e.getMessage().contains("action noise"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new PushTEpisodeGenerator(1, new double[0]));
    }

    /** RMS of the change between consecutive actions. */
    private static double jitter(Episode e) {
        double s = 0;
        for (int t = 1; t < e.steps(); t++) {
            for (int i = 0; i < 2; i++) {
                double d = e.action(t)[i] - e.action(t - 1)[i];
                s += d * d;
            }
        }
        return Math.sqrt(s / (e.steps() - 1));
    }
}
