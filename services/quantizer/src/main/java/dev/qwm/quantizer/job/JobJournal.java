package dev.qwm.quantizer.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Every job's state on disk ({@code <artifact store>/.jobs/<id>.json}, each written whole to a temporary file and
 * renamed), so that no job is lost when the quantizer stops: a job that was queued or running then is reported
 * FAILED at the next start, saying that it was interrupted and that submitting it again runs it (the same request
 * gets the same job id, and a bundle it stored is reused). Jobs are not restarted by themselves: a job that brought
 * the process down would bring it down again.
 */
final class JobJournal {

    static final String DIR = ".jobs";
    private static final Logger LOG = Logger.getLogger(JobJournal.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What is kept of a job: its view without the stored bundle's details (those are read from the store). */
    record Entry(String id, JobState state, double progress, String message, String sourceBundle, String recipeName,
                 long submittedAtUnixMs, Long finishedAtUnixMs) {

        static Entry of(JobView j) {
            return new Entry(j.id(), j.state(), j.progress(), j.message(), j.sourceBundle(), j.recipeName(),
                    j.submittedAtUnixMs(), j.finishedAtUnixMs());
        }

        JobView view() {
            return new JobView(id, state, progress, message, sourceBundle, recipeName, null, List.of(), null, false,
                    submittedAtUnixMs, finishedAtUnixMs);
        }
    }

    private final Path dir;

    JobJournal(Path storeRoot) {
        this.dir = storeRoot.resolve(DIR);
    }

    /** Records the job as it is now (atomically: a reader sees the previous record or this one). */
    void write(JobView job) {
        write(() -> job);
    }

    /**
     * Records a job as it is when the record is written: writers are ordered and each takes the view then, so that a
     * view taken earlier (the submission's "queued") never lands after a later one (the worker's "reading ...").
     */
    synchronized void write(java.util.function.Supplier<JobView> current) {
        JobView job = current.get();
        try {
            Files.createDirectories(dir);
            Path tmp = dir.resolve("." + job.id() + "." + UUID.randomUUID() + ".tmp");
            Files.write(tmp, JSON.writeValueAsBytes(Entry.of(job)));
            try {
                Files.move(tmp, file(job.id()), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.deleteIfExists(tmp);
                throw e;
            }
        } catch (IOException e) {
            // the job itself goes on; only its record after a restart is at stake
            LOG.errorf(e, "cannot record job %s in %s", job.id(), dir);
        }
    }

    Optional<JobView> find(String id) {
        Path f = file(id);
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(f.toFile(), Entry.class).view());
        } catch (IOException e) {
            LOG.warnf("job record %s is unreadable: %s", f, e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * At start: every job recorded as queued or running was interrupted by the stop; it is recorded as FAILED,
     * saying so. Returns how many.
     */
    int failInterrupted(Instant now) {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        int n = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
            for (Path f : files) {
                if (f.getFileName().toString().startsWith(".")) {
                    continue;
                }
                Entry e;
                try {
                    e = JSON.readValue(f.toFile(), Entry.class);
                } catch (JsonProcessingException bad) {
                    LOG.warnf("job record %s is unreadable: %s", f, bad.getOriginalMessage());
                    continue;
                }
                if (e.state() == JobState.RUNNING) {
                    write(new Entry(e.id(), JobState.FAILED, e.progress(), "interrupted: the quantizer stopped while"
                            + " this job was " + (e.message() == null || e.message().startsWith("queued") ? "queued"
                            : "running")
                            + "; found at its start at " + now + ". Nothing of it was stored; submit it again to run it"
                            + " (the same request gets the same job id)", e.sourceBundle(), e.recipeName(),
                            e.submittedAtUnixMs(), now.toEpochMilli()).view());
                    n++;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the job records in " + dir, e);
        }
        return n;
    }

    private Path file(String id) {
        return dir.resolve(id + ".json");
    }
}
