package dev.qwm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.cli.study.StudySpec;
import dev.qwm.env.dataset.DatasetManifest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StudyCommandTest {

    @Tag("slow")
    @Test
    void aPushtStudyMakesItsDatasetOnceAndAWallStudyNone(@TempDir Path home) throws Exception {
        LocalStack stack = new LocalStack(home);
        Path wallSpec = home.resolve("wall.yaml");
        Files.writeString(wallSpec, "name: w\nenvironment: wall\nbundle: models/wall\nepisodes: 1\nrecipes: [{name: fp32}]\n");
        StudyCommand.ensurePushtDataset(StudySpec.read(wallSpec, false).environment(), stack);
        assertFalse(Files.exists(stack.pushtDataset()));

        Path pushtSpec = home.resolve("pusht.yaml");
        Files.writeString(pushtSpec, "name: p\nenvironment: pusht\nbundle: models/pusht\nepisodes: 1\nrecipes: [{name: fp32}]\n");
        StudyCommand.ensurePushtDataset(StudySpec.read(pushtSpec, false).environment(), stack);
        Path manifest = stack.pushtDataset().resolve(DatasetManifest.FILE_NAME);
        assertTrue(Files.exists(manifest));
        // ./qwm dataset --env pusht: 1,000 trajectories, the dataset the PushT evaluations use
        DatasetManifest m = DatasetManifest.read(stack.pushtDataset());
        assertEquals("efd57ccda145b70a8fedffe00f1091dd38d47c2fccde0c1ca08ff06af35a7d69",
                m.split(dev.qwm.env.dataset.Split.TRAIN).sha256());
        long made = Files.getLastModifiedTime(manifest).toMillis();
        StudyCommand.ensurePushtDataset(StudySpec.read(pushtSpec, false).environment(), stack);
        assertEquals(made, Files.getLastModifiedTime(manifest).toMillis(), "made once");
    }
}
