package dev.qwm.planner.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qwm.api.common.v1.EpisodeId;
import dev.qwm.api.common.v1.EpisodeSeeding;
import dev.qwm.api.common.v1.StudyId;
import dev.qwm.api.events.v1.EpisodeRequested;
import dev.qwm.api.events.v1.StudySubmitted;
import dev.qwm.planner.messaging.EventPublisher;
import dev.qwm.planner.study.StudyRequest;
import dev.qwm.planner.study.StudyValidation;
import dev.qwm.planner.study.ValidStudy;
import dev.qwm.planner.config.PlannerConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Fans a study out: once it has passed {@link StudyValidation}, publishes the study (for the collector) and one
 * request per (configuration, episode) for the planner fleet. Episode n of every configuration has the same seed,
 * so configurations are paired.
 */
@ApplicationScoped
public class StudyDispatcher {

    /** What was published: the study's id and its episode count; {@code existing}: it was submitted before, as is. */
    public record Dispatched(String studyId, int episodes, boolean existing) {
    }

    /** A study id that was submitted before with another spec: refused (409), the first one is the study. */
    public static final class StudyConflictException extends RuntimeException {
        public StudyConflictException(String message) {
            super(message);
        }
    }

    private final EventPublisher publisher;
    private final ObjectMapper json;
    private final SubmittedStudies submitted;
    private final String studyTopic;
    private final String requestTopic;

    public StudyDispatcher(EventPublisher publisher, ObjectMapper json, SubmittedStudies submitted,
                           PlannerConfig config) {
        this.publisher = publisher;
        this.json = json;
        this.submitted = submitted;
        this.studyTopic = config.studyTopic();
        this.requestTopic = config.requestTopic();
    }

    /**
     * @throws dev.qwm.planner.study.InvalidStudyException naming the first problem of the study; nothing is published then
     * @throws dev.qwm.planner.messaging.BrokerUnavailableException when the broker cannot be read or written in time
     */
    public Dispatched dispatch(StudyRequest request) {
        ValidStudy study = StudyValidation.validate(request);
        List<EpisodeRequested> requests = requests(study);
        String spec = specJson(request);
        // the skip list is where a resumed study stands, not what the study is
        String requestSha = SubmittedStudies.sha256(canonical(request.withoutSkip()));
        if (request.studyId() != null && !request.studyId().isBlank()) {
            // an id the caller chose may exist: the same request is the same study (nothing published again), another
            // is refused, so that no second study's results are dropped under the first one's id
            var existing = submitted.requestHash(study.studyId());
            if (existing.isPresent()) {
                if (existing.get().equals(requestSha)) {
                    return new Dispatched(study.studyId(), requests.size(), true);
                }
                throw new StudyConflictException("study " + study.studyId() + " exists with another spec; submit "
                        + "under another study_id (or none, for a fresh one)");
            }
        }
        String eventId = UUID.randomUUID().toString();
        List<EventPublisher.Keyed> records = new ArrayList<>();
        records.add(new EventPublisher.Keyed(studyTopic, study.studyId(), eventId, StudySubmitted.newBuilder()
                .setEventId(eventId).setStudyId(StudyId.newBuilder().setValue(study.studyId()))
                .setName(study.name()).setSpecJson(spec).setRequestSha256(requestSha)
                .setEpisodeCount(requests.size()).setSubmittedAtUnixMs(System.currentTimeMillis())
                .build()));
        java.util.Set<Integer> skip = request.skipEpisodes() == null ? java.util.Set.of()
                : new java.util.HashSet<>(request.skipEpisodes());
        for (EpisodeRequested r : inPublishOrder(requests, study.episodes())) {
            if (skip.contains(r.getEpisodeId().getIndex())) {
                continue; // stored before (resumed from the study's episode log): not planned again
            }
            records.add(new EventPublisher.Keyed(requestTopic, study.studyId() + "/" + r.getEpisodeId().getIndex(),
                    r.getEventId(), r.toBuilder().setStudyRequestSha256(requestSha).build()));
        }
        publisher.study(records);
        // Another planner may have taken the same new id between the check above and this publication: the first
        // submission on the study topic is the study, and it is known once this one is readable.
        String first = submitted.firstRequestHash(study.studyId(), eventId);
        if (!requestSha.equals(first)) {
            throw new StudyConflictException("study " + study.studyId() + " was submitted at the same time with"
                    + " another spec, which came first: this submission is refused and its episodes will not be"
                    + " planned; submit under another study_id (or none, for a fresh one)");
        }
        return new Dispatched(study.studyId(), requests.size(), false);
    }

    /**
     * Every episode request of the study: configuration c's episode n has index c × episodes + n and seed base × n +
     * offset, and the configuration's planner seed.
     */
    static List<EpisodeRequested> requests(ValidStudy s) {
        List<EpisodeRequested> out = new ArrayList<>();
        for (int c = 0; c < s.configurations().size(); c++) {
            ValidStudy.Configuration conf = s.configurations().get(c);
            for (int n = 0; n < s.episodes(); n++) {
                out.add(EpisodeRequested.newBuilder()
                        .setEventId(UUID.randomUUID().toString())
                        .setEpisodeId(EpisodeId.newBuilder().setStudyId(StudyId.newBuilder().setValue(s.studyId()))
                                .setIndex(c * s.episodes() + n))
                        .setEnvironment(s.environment()).setEncoder(conf.encoder()).setPredictor(conf.predictor())
                        .setBudget(conf.budget())
                        .setSeeding(EpisodeSeeding.newBuilder().setSeed(s.seedBase() * n + s.seedOffset())
                                .setSeedBase(s.seedBase()).setSeedOffset(s.seedOffset()).setSplit(s.split()))
                        .setConfiguration(conf.label())
                        .setPlannerSeed(conf.plannerSeed())
                        .setEvaluateCemSteps(s.evaluateCemSteps())
                        .build());
            }
        }
        return out;
    }

    /**
     * Episode n of every configuration before episode n + 1 of any: planners take requests roughly in publish order,
     * so a study stopped part way (a long study spans sessions) holds the same episodes of every configuration, and
     * its paired comparisons are as large as they can be, rather than some configurations done and others not begun.
     */
    static List<EpisodeRequested> inPublishOrder(List<EpisodeRequested> requests, int episodes) {
        int configurations = requests.size() / episodes;
        List<EpisodeRequested> out = new ArrayList<>(requests.size());
        for (int n = 0; n < episodes; n++) {
            for (int c = 0; c < configurations; c++) {
                out.add(requests.get(c * episodes + n));
            }
        }
        return out;
    }

    private String canonical(StudyRequest request) {
        try {
            return json.writeValueAsString(request);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the study as JSON", e);
        }
    }

    /** The user's spec as given; without one, the request itself. */
    private String specJson(StudyRequest request) {
        try {
            return json.writeValueAsString(request.spec() != null ? request.spec() : request);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the study as JSON", e);
        }
    }
}
