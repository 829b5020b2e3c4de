package dev.qwm.planning.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.planning.DataSplit;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.mpc.EpisodeResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EpisodeLogTest {

    static EpisodeResult episode(int index, boolean success) {
        return new EpisodeResult(index, 99L * index + 1, DataSplit.VALIDATION, "simulator", "wall", "model", "cem",
                PlannerBudget.dinoWm("wall"), 0, success, success ? 3 : -1, 1.5 * index, 0.25, 4, 20, 1000, 2.0, 1.9, 40,
                List.of(), List.of());
    }

    @Test
    void appendedEpisodesAreReadBackAsTheyWere(@TempDir Path dir) throws Exception {
        Path file = EpisodeLog.beside(dir.resolve("sub/results.json"));
        assertEquals(dir.resolve("sub/results.json.episodes.jsonl"), file);
        try (EpisodeLog log = EpisodeLog.create(file)) {
            assertTrue(log.finished().isEmpty());
            log.append(episode(0, true));
            log.append(episode(1, false));
            assertEquals(2, Files.readAllLines(file).size(), "each episode is on disk as soon as it is appended");
        }
        List<String> notes = new ArrayList<>();
        Map<Integer, EpisodeResult> read = EpisodeLog.read(file, notes::add);
        assertEquals(Map.of(0, episode(0, true), 1, episode(1, false)), read);
        assertTrue(notes.isEmpty());
        assertTrue(EpisodeLog.read(dir.resolve("none.jsonl"), notes::add).isEmpty(), "no log, no episodes");
    }

    @Test
    void aCutOffLastLineIsDroppedAndTheLogGoesOnOnALineOfItsOwn(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("run.episodes.jsonl");
        try (EpisodeLog log = EpisodeLog.create(file)) {
            log.append(episode(0, true));
            log.append(episode(1, true));
        }
        List<String> lines = Files.readAllLines(file);
        Files.writeString(file, lines.get(0) + "\n" + lines.get(1).substring(0, 30));

        List<String> notes = new ArrayList<>();
        try (EpisodeLog log = EpisodeLog.resume(file, notes::add)) {
            assertEquals(List.of(0), List.copyOf(log.finished().keySet()));
            assertEquals(1, notes.size());
            assertTrue(notes.get(0).contains("line 2 is incomplete"), notes.get(0));
            log.append(episode(1, false));
        }
        assertEquals(Map.of(0, episode(0, true), 1, episode(1, false)), EpisodeLog.read(file, n -> { }));
    }

    @Test
    void aLogThatIsNotAnEpisodeLogIsRefusedByLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.jsonl");
        try (EpisodeLog log = EpisodeLog.create(file)) {
            log.append(episode(0, true));
        }
        String good = Files.readAllLines(file).get(0);
        Files.writeString(file, "{\"not\": \"an episode\"\n" + good + "\n");
        IllegalArgumentException broken = assertThrows(IllegalArgumentException.class, () -> EpisodeLog.read(file, n -> { }));
        assertTrue(broken.getMessage().contains("line 1 is not an episode result"), broken.getMessage());

        Files.writeString(file, good + "\n" + good + "\n");
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> EpisodeLog.read(file, n -> { }));
        assertTrue(twice.getMessage().contains("holds episode 0 twice (line 2)"), twice.getMessage());
    }
}
