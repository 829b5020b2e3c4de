package dev.qwm.env.wall;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.env.dataset.Episode;
import dev.qwm.env.dataset.EpisodeGenerator;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WallEpisodeGeneratorTest {

    @Test
    void doorShareIsExact() {
        WallEpisodeGenerator g = new WallEpisodeGenerator(0, 0.25, 1.1);
        int door = 0;
        for (int i = 0; i < 400; i++) {
            door += g.isDoorEpisode(i) ? 1 : 0;
        }
        assertEquals(100, door);
    }

    @Test
    void doorEpisodesCrossFarMoreOftenThanRandomOnes() {
        WallEpisodeGenerator g = new WallEpisodeGenerator(11, 0.5, 1.1);
        EpisodeGenerator.DataMetrics metrics = g.newMetrics();
        for (int i = 0; i < 200; i++) {
            metrics.add(g.generate(i, 50, 16));
        }
        Map<String, Object> m = metrics.result();
        double door = (Double) m.get("doorCrossingFraction.door");
        double random = (Double) m.get("doorCrossingFraction.random");
        assertTrue(door > 0.7, "door-seeking episodes cross only " + door);
        assertTrue(random < 0.3, "random episodes cross " + random);
    }

    @Test
    void actionScaleMatchesTheOfficialStatistics() {
        WallEpisodeGenerator g = new WallEpisodeGenerator(3, 0.0, 1.1);
        double sumSq = 0;
        int n = 0;
        for (int i = 0; i < 100; i++) {
            Episode e = g.generate(i, 50, 8);
            for (float a : e.actions()) {
                sumSq += a * a;
                n++;
            }
        }
        double rms = Math.sqrt(sumSq / n);
        // DINO-WM's wall_single: ACTION_STD [0.4395, 0.4684]
        assertEquals(0.45, rms, 0.03);
    }

    @Test
    void episodeDependsOnlyOnSeedAndIndex() {
        Episode a = new WallEpisodeGenerator(9).generate(17, 30, 64);
        Episode b = new WallEpisodeGenerator(9).generate(17, 30, 64);
        Episode c = new WallEpisodeGenerator(10).generate(17, 30, 64);
        assertArrayEquals(a.frames(), b.frames());
        assertArrayEquals(a.states(), b.states());
        assertTrue(a.states()[0] != c.states()[0]);
    }
}
