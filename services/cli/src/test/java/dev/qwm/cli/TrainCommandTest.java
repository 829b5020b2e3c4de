package dev.qwm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCommandTest {

    @Test
    void anExistingBundleOrASourceAsOutIsRefusedBeforeTrainingStarts(@TempDir Path dir) throws Exception {
        Path bundle = QuantizeCommandTest.randomWallBundle(dir.resolve("wall"));
        Map<String, String> before = QuantizeCommandTest.checksums(bundle);
        String err = QuantizeCommandTest.refused("train", "--env", "wall", "--data", dir.resolve("no-data").toString(),
                "--out", bundle.toString());
        assertTrue(err.contains("--out " + bundle + " already holds a bundle; pass --force to replace it"), err);
        err = QuantizeCommandTest.refused("train", "--env", "wall", "--data", dir.resolve("no-data").toString(),
                "--out", bundle.toString(), "--encoder-from", bundle.toString(), "--force");
        assertTrue(err.contains("is --encoder-from " + bundle + " itself"), err);
        assertEquals(before, QuantizeCommandTest.checksums(bundle));
    }
}
