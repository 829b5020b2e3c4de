package dev.qwm.cli.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StudyLogTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static JsonNode episode(String study, int index, String attempt) throws Exception {
        return JSON.readTree("{\"completed\": {\"episodeId\": {\"studyId\": {\"value\": \"" + study + "\"}, \"index\": "
                + index + "}, \"attemptId\": \"" + attempt + "\"}, \"trace\": {\"attemptId\": \"" + attempt + "\"}}");
    }

    @Test
    void eachExportAddsOneChunkOfTheNewEpisodesAndAReopenedLogHasThemAll() throws Exception {
        Path logDir = dir.resolve("log");
        StudyLog log = StudyLog.open(logDir, "s", "f1");
        assertEquals(2, log.append(List.of(episode("s", 0, "a"), episode("s", 3, "b"))));
        // an episode already in the log is not written again, nor one given twice
        assertEquals(1, log.append(List.of(episode("s", 3, "b2"), episode("s", 1, "c"), episode("s", 1, "c"))));
        assertEquals(0, log.append(List.of(episode("s", 0, "a"))), "nothing new: no chunk");
        try (Stream<Path> files = Files.list(logDir)) {
            assertEquals(Set.of("study.json", "episodes-00001.jsonl.gz", "episodes-00002.jsonl.gz"),
                    Set.copyOf(files.map(p -> p.getFileName().toString()).toList()));
        }
        StudyLog reopened = StudyLog.open(logDir, "s", "f1");
        assertEquals(Set.of(0, 1, 3), reopened.indices());
        assertEquals("b", reopened.records().get(2).path("completed").path("attemptId").asText(), "the first one stays");
        assertEquals(1, reopened.append(List.of(episode("s", 2, "d"))));
        assertTrue(Files.exists(logDir.resolve("episodes-00003.jsonl.gz")));
    }

    @Test
    void aCalibratedArtifactKeptWithTheLogGoesBackIntoAFreshStoreWithoutItsPublishedMarker() throws Exception {
        Path bundle = dir.resolve("store-1/qwm-wall-small-w8a8-rtn-both-0123456789abcdef");
        Files.createDirectories(bundle);
        Files.writeString(bundle.resolve("model.json"), "{}");
        Files.writeString(bundle.resolve("predictor.onnx"), "onnx");
        Files.writeString(bundle.resolve(".artifact-events-published"), "yes");
        StudyLog log = StudyLog.open(dir.resolve("log"), "s", "f1");
        log.keepArtifact(bundle);
        log.keepArtifact(bundle); // once
        Path kept = dir.resolve("log/artifacts").resolve(bundle.getFileName());
        assertEquals("onnx", Files.readString(kept.resolve("predictor.onnx")));
        assertTrue(!Files.exists(kept.resolve(".artifact-events-published")), "a new stack publishes its events again");

        Path fresh = dir.resolve("store-2");
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        log.seedStore(fresh, new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
        assertEquals("{}", Files.readString(fresh.resolve(bundle.getFileName()).resolve("model.json")));
        assertTrue(out.toString(java.nio.charset.StandardCharsets.UTF_8).contains("1 calibrated artifacts"), out.toString());
        Files.writeString(fresh.resolve(bundle.getFileName()).resolve("model.json"), "{\"kept\": 1}");
        log.seedStore(fresh, new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
        assertEquals("{\"kept\": 1}", Files.readString(fresh.resolve(bundle.getFileName()).resolve("model.json")),
                "what the store holds is never replaced");
    }

    @Test
    void aLogOfAnotherStudyOrGridOrADamagedChunkIsRefusedByName() throws Exception {
        Path logDir = dir.resolve("log");
        StudyLog.open(logDir, "s", "f1").append(List.of(episode("s", 0, "a")));
        String message = assertThrows(IllegalArgumentException.class, () -> StudyLog.open(logDir, "s", "f2")).getMessage();
        assertTrue(message.contains("the spec changed since its episodes were planned"), message);
        assertThrows(IllegalArgumentException.class, () -> StudyLog.open(logDir, "t", "f1"));
        Files.write(logDir.resolve("episodes-00002.jsonl.gz"), new byte[] {31, -117, 8, 0, 1, 2});
        message = assertThrows(RuntimeException.class, () -> StudyLog.open(logDir, "s", "f1")).getMessage();
        assertTrue(message.contains("episodes-00002.jsonl.gz"), message);
    }
}
