package dev.qwm.analysis.report;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Opens the example report in headless Debian Chromium ({@code apt-get install -y chromium}; path from
 * {@code QWM_CHROMIUM}, else /usr/bin/chromium): the DOM it builds holds every plot, the page logs no error, and its
 * screenshot shows the plots' colours. Skipped where no Chromium is installed.
 */
@Tag("slow")
class ChromiumRenderTest {

    /** The probe's flags: headless, no sandbox as root, and nothing that reaches for the network. */
    private static final List<String> FLAGS = List.of("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--hide-scrollbars", "--enable-logging=stderr", "--v=0");

    @Test
    void rendersWithItsPlots(@TempDir Path dir) throws Exception {
        Path chromium = chromium().orElse(null);
        Assumptions.assumeTrue(chromium != null, "no Chromium: apt-get install -y chromium (or set QWM_CHROMIUM)");
        Path report = dir.resolve("report");
        ReportWriter.writeHtml(ExampleReport.build(), report);
        String url = report.resolve("index.html").toUri().toString();
        String html = Files.readString(report.resolve("index.html"));
        long plots = Pattern.compile("<svg").matcher(html).results().count();

        Run dom = run(chromium, dir, List.of("--dump-dom", url));
        assertEquals(0, dom.exit, dom.stderr);
        assertEquals(plots, Pattern.compile("<svg").matcher(dom.stdout).results().count(), "every plot is in the DOM");
        assertTrue(dom.stdout.contains("Findings") && dom.stdout.contains("Objective–success alignment"), "the page loaded");
        assertFalse(dom.stderr.contains("CONSOLE"), "no console message (script or resource error): " + console(dom.stderr));

        Path png = dir.resolve("report.png");
        Run shot = run(chromium, dir, List.of("--window-size=1280,2600", "--screenshot=" + png, url));
        assertEquals(0, shot.exit, shot.stderr);
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(1280, image.getWidth());
        // the first plots (success and difference forests) are on this screen: their series colours must be painted
        int both = count(image, Charts.PALETTE[0]);
        int encoderOnly = count(image, Charts.PALETTE[1]);
        int predictorOnly = count(image, Charts.PALETTE[4]);
        int worse = count(image, new Color(0xfde2e1));
        assertTrue(both > 200 && encoderOnly > 50 && predictorOnly > 50,
                "plot colours on screen: both " + both + ", encoder only " + encoderOnly + ", predictor only " + predictorOnly);
        assertTrue(worse > 1000, "differences below FP are shaded in the table: " + worse);

    }

    private static int count(BufferedImage image, Color colour) {
        int n = 0;
        int target = colour.getRGB() & 0xffffff;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if ((image.getRGB(x, y) & 0xffffff) == target) {
                    n++;
                }
            }
        }
        return n;
    }

    private static String console(String stderr) {
        return stderr.lines().filter(l -> l.contains("CONSOLE")).limit(5).reduce("", (a, b) -> a + "\n" + b);
    }

    static Optional<Path> chromium() {
        String configured = System.getenv("QWM_CHROMIUM");
        for (String candidate : new String[]{configured, "/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
            if (candidate != null && Files.isExecutable(Path.of(candidate))) {
                return Optional.of(Path.of(candidate));
            }
        }
        return Optional.empty();
    }

    private record Run(int exit, String stdout, String stderr) {
    }

    /** One Chromium run with a fresh, empty profile; killed after two minutes. */
    private static Run run(Path chromium, Path dir, List<String> args) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory(dir, "profile");
        List<String> command = new ArrayList<>();
        command.add(chromium.toString());
        command.addAll(FLAGS);
        command.add("--user-data-dir=" + profile);
        command.addAll(args);
        Path out = dir.resolve("stdout-" + System.nanoTime());
        Path err = dir.resolve("stderr-" + System.nanoTime());
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("Chromium did not finish within two minutes: " + command);
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }
}
