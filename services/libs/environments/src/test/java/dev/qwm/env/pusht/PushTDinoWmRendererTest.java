package dev.qwm.env.pusht;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.env.Environment;
import dev.qwm.env.EnvironmentKind;
import dev.qwm.env.FrameStyle;
import dev.qwm.env.registry.Environments;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * DINO-WM-style PushT frames against the ones DINO-WM's own code draws. The digests are those of the frames that
 * tools/dinowm-render-compare/compare_pusht_renderer.py draws with DINO-WM's DrawOptions on Debian's pygame 2.1.2
 * and resizes with its python3-opencv 4.6 (the 512-px window, and cv2.resize to 224 and 64): the same states, the same
 * bytes. The states: the environment's default, an agent against the T, and coordinates ending in .5 (Python's round
 * goes to even).
 */
class PushTDinoWmRendererTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "256, 400, 256, 300, 0, 0, 0 | b99afb7030b7650f0f0bc45d8ba15b8d27570087d7bf9262132eff23c2f7d5da"
                    + " | 541e00e23da710eeb1568ab3bda8756bc832dcb52db5dbc90e4e2c1efed6550e"
                    + " | e8cd48435225f3e851cb890619fefd118039ab342c4340579b79b160e0ffb154",
            "300.3, 207.6, 251.2, 268.9, 2.61, 0, 0 | cdff05156d56c48ae6bd8bdf91eb1e298bb5c86a13de537dcc5ddfee33dadaba"
                    + " | 2171b8bb5cb5f6b747cdd0c5f4c1695b82b441fb36c17a7647084e415bf69300"
                    + " | 258830130bc69e840325329b12af75abd11534a6e5a0d670cfe9f0f4aa8af8a3",
            "120.5, 330.5, 160.25, 310.75, -1.2, 0, 0 | 1ceee29d132be071667d34f85e7dbc5bf1c580ba5688e110026f53f3416ef1fc"
                    + " | f3465d6ab0d5a4e4a3fa15de9100c2126f39291b27c1c3dbc05c00e7a125cb11"
                    + " | fb06bbb1fca04321981983968cf05921b5b87086720abf54fe9829f4560da2ce"})
    void drawsTheBytesDinoWmsRendererDraws(String stateText, String window512, String frame224, String frame64)
            throws Exception {
        double[] state = java.util.Arrays.stream(stateText.split(",")).mapToDouble(s -> Double.parseDouble(s.trim()))
                .toArray();
        assertEquals(window512, sha256(PushTDinoWmRenderer.render(state, 512)), "the 512-px pygame window");
        assertEquals(frame224, sha256(PushTDinoWmRenderer.render(state, 224)), "cv2.resize to 224");
        assertEquals(frame64, sha256(PushTDinoWmRenderer.render(state, 64)), "cv2.resize to 64");
    }

    @Test
    void anEnvironmentDrawsInItsFrameStyleAndPushTsTwoStylesDiffer() {
        double[] state = {300.3, 207.6, 251.2, 268.9, 2.61, 0, 0};
        Environment dinowm = Environments.create(EnvironmentKind.PUSHT, FrameStyle.DINOWM);
        Environment qwm = Environments.create(EnvironmentKind.PUSHT, FrameStyle.QWM);
        assertEquals(FrameStyle.DINOWM, dinowm.frameStyle());
        assertArrayEquals(PushTDinoWmRenderer.render(state, 224), dinowm.render(state, 224));
        assertArrayEquals(PushTRenderer.render(state, 224), qwm.render(state, 224));
        assertFalse(java.util.Arrays.equals(dinowm.render(state, 224), qwm.render(state, 224)));
        dinowm.reset(state);
        assertArrayEquals(PushTDinoWmRenderer.render(dinowm.state(), 96), dinowm.render(96));
        // Wall's frames are DINO-WM's in both styles
        Environment wallD = Environments.create(EnvironmentKind.WALL, FrameStyle.DINOWM);
        Environment wallQ = Environments.create(EnvironmentKind.WALL, FrameStyle.QWM);
        assertEquals(FrameStyle.DINOWM, wallD.frameStyle());
        assertArrayEquals(wallQ.render(new double[] {20, 31}, 224), wallD.render(new double[] {20, 31}, 224));
    }

    @Test
    void anUnknownFrameStyleIsRefusedByName() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> FrameStyle.parse("pygame"));
        assertTrue(e.getMessage().contains("unknown frame style 'pygame'") && e.getMessage().contains("qwm or dinowm"),
                e.getMessage());
        assertEquals(FrameStyle.DINOWM, FrameStyle.parse("DinoWM"));
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
