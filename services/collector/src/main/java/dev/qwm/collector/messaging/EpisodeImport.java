package dev.qwm.collector.messaging;

import dev.qwm.api.collector.v1.GetEpisodeTraceResponse;
import dev.qwm.api.events.v1.CemStepMetrics;
import dev.qwm.api.events.v1.EpisodeCompleted;
import dev.qwm.api.events.v1.EpisodeProgress;
import dev.qwm.api.events.v1.MpcIterationMetrics;
import dev.qwm.collector.repository.EpisodeRepository;
import dev.qwm.collector.repository.ExactlyOnceStore;
import dev.qwm.collector.repository.RecordPosition;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Episodes stored before, by another collector, coming back from a study's episode log (a study resumed on a fresh
 * stack): each is applied as the events it was made of, through the same exactly-once ledger and the same effects as
 * the Kafka consumers. The completion keeps its event id, so the same completion read from Kafka too is a duplicate;
 * the progress rows get ids derived from it ({@code import/<completion event id>/mpc/<i>}, {@code .../cem/<i>/<j>}),
 * and their natural keys keep them single in any case. Progress is applied before the completion, so an episode
 * that counts as stored has its trace.
 */
@ApplicationScoped
public class EpisodeImport {

    /** The ledger's record position of an imported event: no Kafka topic; the offset is the episode's place in the import. */
    static final String IMPORT_TOPIC = "import";

    private final ExactlyOnceStore store;
    private final EpisodeRepository episodes;

    public EpisodeImport(ExactlyOnceStore store, EpisodeRepository episodes) {
        this.store = store;
        this.episodes = episodes;
    }

    /**
     * @param studyId  the study the episode must belong to
     * @param position the episode's place in the import (kept in the ledger to trace it)
     * @return true when the completion was stored now; false when it was stored before (nothing changed)
     * @throws MalformedEventException naming what is wrong with the episode; nothing of it is stored then
     */
    public boolean importEpisode(String studyId, EpisodeCompleted completed, GetEpisodeTraceResponse trace, long position) {
        EventValidation.episodeCompleted(completed);
        String key = completed.getEpisodeId().getStudyId().getValue() + "/" + completed.getEpisodeId().getIndex();
        if (!completed.getEpisodeId().getStudyId().getValue().equals(studyId)) {
            throw new MalformedEventException("episode " + key + " is not an episode of study " + studyId);
        }
        if (!trace.getAttemptId().equals(completed.getAttemptId())) {
            throw new MalformedEventException("episode " + key + ": its trace is of attempt '" + trace.getAttemptId()
                    + "', its completion of attempt '" + completed.getAttemptId() + "'");
        }
        RecordPosition at = new RecordPosition(IMPORT_TOPIC, 0, position);
        String base = IMPORT_TOPIC + "/" + completed.getEventId();
        for (MpcIterationMetrics m : trace.getMpcIterationsList()) {
            EpisodeProgress p = progress(completed, base + "/mpc/" + m.getMpcIteration()).setMpcIteration(m).build();
            EventValidation.episodeProgress(p);
            store.applyOnce(Channels.EPISODE_PROGRESS, p.getEventId(), at, () -> episodes.recordProgress(p));
        }
        for (CemStepMetrics m : trace.getCemStepsList()) {
            EpisodeProgress p = progress(completed, base + "/cem/" + m.getMpcIteration() + "/" + m.getCemStep())
                    .setCemStep(m).build();
            EventValidation.episodeProgress(p);
            store.applyOnce(Channels.EPISODE_PROGRESS, p.getEventId(), at, () -> episodes.recordProgress(p));
        }
        return store.applyOnce(Channels.EPISODE_COMPLETED, completed.getEventId(), at,
                () -> episodes.recordCompletion(completed));
    }

    private static EpisodeProgress.Builder progress(EpisodeCompleted completed, String eventId) {
        return EpisodeProgress.newBuilder().setEventId(eventId).setEpisodeId(completed.getEpisodeId())
                .setAttemptId(completed.getAttemptId());
    }
}
