package dev.qwm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.env.dataset.DatasetReader;
import dev.qwm.env.dataset.Split;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class DatasetCommandTest {

    private static int run(StringWriter err, String... args) {
        CommandLine cli = QwmCommand.commandLine();
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void generatesVerifiesAndRefusesToOverwrite(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("wall");
        StringWriter err = new StringWriter();
        assertEquals(0, run(err, "dataset", "--env", "wall", "--episodes", "12", "--steps", "6", "--image-size", "16",
                "--threads", "1", "--out", out.toString()));
        DatasetReader reader = DatasetReader.open(out);
        assertEquals(12, reader.manifest().episodes());
        assertEquals(6, reader.readAll(Split.TRAIN, true).get(0).steps());
        assertEquals(0, run(err, "dataset", "verify", out.toString()));

        assertEquals(1, run(err, "dataset", "--env", "wall", "--episodes", "12", "--out", out.toString()));
        assertTrue(err.toString().contains("already holds a dataset"), err.toString());

        try (RandomAccessFile f = new RandomAccessFile(out.resolve("validation.qwmd").toFile(), "rw")) {
            f.setLength(f.length() - 10);
        }
        StringWriter verifyErr = new StringWriter();
        assertEquals(1, run(verifyErr, "dataset", "verify", out.toString()));
        assertTrue(verifyErr.toString().contains("validation.qwmd") && verifyErr.toString().contains("truncated"),
                verifyErr.toString());
    }

    @Test
    void pushtDatasetAndRender(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("pusht");
        StringWriter err = new StringWriter();
        assertEquals(0, run(err, "dataset", "--env", "pusht", "--episodes", "4", "--steps", "5", "--image-size", "16",
                "--threads", "1", "--out", out.toString()), err.toString());
        assertEquals("pusht", DatasetReader.open(out).manifest().environment());
        Path png = dir.resolve("strip.png");
        assertEquals(0, run(err, "env", "render", "--env", "pusht", "--steps", "10", "--every", "5", "--size", "32",
                "--out", png.toString()), err.toString());
        assertTrue(Files.size(png) > 100);
    }

    @Test
    void unknownEnvironmentIsNamed(@TempDir Path dir) {
        StringWriter err = new StringWriter();
        assertEquals(1, run(err, "dataset", "--env", "maze", "--out", dir.toString()));
        assertTrue(err.toString().contains("unknown environment 'maze'"), err.toString());
    }

    @Test
    void actionNoiseLevelsAreRecordedAndCheckedByName(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("pusht");
        StringWriter err = new StringWriter();
        assertEquals(0, run(err, "dataset", "--env", "pusht", "--episodes", "3", "--steps", "5", "--image-size", "8",
                "--threads", "1", "--action-noise", "0.03,0.2", "--out", out.toString()), err.toString());
        String manifest = Files.readString(out.resolve("dataset.json"));
        assertTrue(manifest.contains("\"actionNoise\" : \"[0.03, 0.2]\""), manifest);

        assertEquals(1, run(err, "dataset", "--env", "pusht", "--action-noise", "0.1,2", "--out",
                dir.resolve("bad").toString()));
        assertTrue(err.toString().contains("action noise levels must be in [0, 1]"), err.toString());
        assertEquals(1, run(err, "dataset", "--env", "wall", "--action-noise", "0.1", "--out",
                dir.resolve("wall").toString()));
        assertTrue(err.toString().contains("--action-noise applies to pusht only"), err.toString());
    }
}
