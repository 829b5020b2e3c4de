package dev.qwm.quantizer.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Jobs outlive the process: what was queued or running at a stop is reported failed (interrupted), never lost. */
class JobJournalTest {

    @TempDir
    Path store;

    private static JobView job(String id, JobState state, String message) {
        return new JobView(id, state, 0, message, "/models/wall", "w4a16", null, List.of(), null, false, 1000L,
                state == JobState.RUNNING ? null : 2000L);
    }

    @Test
    void jobsQueuedOrRunningAtAStopAreReportedInterruptedAtTheNextStart() throws Exception {
        JobJournal before = new JobJournal(store);
        before.write(job("queued-1", JobState.RUNNING, "queued behind 1 job(s)"));
        before.write(job("running-1", JobState.RUNNING, "reading /models/wall"));
        before.write(job("failed-1", JobState.FAILED, "boom"));
        before.write(job("cancelled-1", JobState.CANCELLED, "cancelled while queued; it never ran"));

        // a new process on the same store
        JobJournal after = new JobJournal(store);
        assertEquals(2, after.failInterrupted(Instant.parse("2026-12-07T04:00:00Z")));
        JobView queued = after.find("queued-1").orElseThrow();
        assertEquals(JobState.FAILED, queued.state());
        assertTrue(queued.message().startsWith("interrupted: the quantizer stopped while this job was queued; found at"
                + " its start at 2026-12-07T04:00:00Z"), queued.message());
        assertTrue(queued.message().contains("submit it again to run it"), queued.message());
        assertEquals("/models/wall", queued.sourceBundle());
        assertTrue(after.find("running-1").orElseThrow().message().contains("while this job was running"));
        assertEquals("boom", after.find("failed-1").orElseThrow().message());
        assertEquals(JobState.CANCELLED, after.find("cancelled-1").orElseThrow().state());
        assertEquals(0, new JobJournal(store).failInterrupted(Instant.now()), "reported once");
        try (var files = Files.list(store.resolve(JobJournal.DIR))) {
            assertTrue(files.allMatch(f -> f.getFileName().toString().endsWith(".json")
                    && !f.getFileName().toString().startsWith(".")), "no temporary file left");
        }
        assertTrue(after.find("unknown").isEmpty());
    }
}
