package dev.qwm.planner.worker;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.qwm.api.events.v1.EpisodeCompleted;
import dev.qwm.api.events.v1.EpisodeRequested;
import dev.qwm.planner.messaging.EventPublisher;
import dev.qwm.planner.service.SubmittedStudies;
import dev.qwm.servicesupport.TraceHeaders;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * Consumes episode requests, one at a time per worker. The record is acknowledged (and so, under the throttled
 * strategy, its offset committed) only after the completed event is on the broker: a worker that dies in the
 * middle of an episode leaves its offset uncommitted, and the group hands the episode to another worker. A request
 * that can never be planned is nacked to the dead-letter topic with the reason; one of a submission that lost the race
 * for a new study id to another ({@link SubmittedStudies}) is acknowledged unplanned.
 */
@ApplicationScoped
public class EpisodeRequestConsumer {

    private static final Logger LOG = Logger.getLogger(EpisodeRequestConsumer.class);

    private final EpisodeWorker worker;
    private final EventPublisher publisher;
    private final SubmittedStudies studies;
    private final Tracer tracer;

    public EpisodeRequestConsumer(EpisodeWorker worker, EventPublisher publisher, SubmittedStudies studies,
                                  Tracer tracer) {
        this.worker = worker;
        this.publisher = publisher;
        this.studies = studies;
        this.tracer = tracer;
    }

    /** The episode as one span of the trace its request was published in (its submission's), around all it does. */
    @Incoming("episode-requests")
    @Blocking
    public CompletionStage<Void> consume(Message<byte[]> message) {
        Context published = message.getMetadata(IncomingKafkaRecordMetadata.class)
                .map(m -> TraceHeaders.extract(Context.root(), m.getHeaders())).orElse(Context.root());
        Span span = tracer.spanBuilder("plan episode").setParent(published).setSpanKind(SpanKind.CONSUMER)
                .startSpan();
        try (Scope ignored = span.makeCurrent()) {
            return plan(message);
        } finally {
            span.end();
        }
    }

    private CompletionStage<Void> plan(Message<byte[]> message) {
        EpisodeRequested request;
        try {
            request = EpisodeRequested.parseFrom(message.getPayload());
        } catch (InvalidProtocolBufferException e) {
            return message.nack(new IllegalArgumentException("not a qwm.events.v1.EpisodeRequested: " + e.getMessage()));
        }
        EpisodeCompleted completed = null;
        long backoffMs = 500;
        while (completed == null) {
            try {
                if (!request.getStudyRequestSha256().isEmpty()
                        && !studies.isTheStudy(request.getEpisodeId().getStudyId().getValue(),
                        request.getStudyRequestSha256())) {
                    // a submission that lost the race for a new study id (refused with 409): nothing to plan
                    LOG.warnf("episode %s belongs to a submission of its study id that came second (refused);"
                            + " not planned", EpisodeWorker.key(request));
                    return message.ack();
                }
                completed = worker.run(request);
            } catch (EpisodeWorker.InvalidEpisodeException e) {
                LOG.warn(e.getMessage());
                return message.nack(e);
            } catch (RuntimeException e) {
                if (refusedForGood(e)) {
                    // The predictor refused the request itself (a limit, a shape): planning it again cannot help.
                    String reason = "episode " + EpisodeWorker.key(request) + " refused by the predictor service: "
                            + e.getMessage();
                    LOG.warn(reason);
                    return message.nack(new IllegalArgumentException(reason, e));
                }
                // The predictor service (or something behind it) failed: the episode is fine, try it again later.
                // Shutting down while waiting leaves the record unacknowledged for another worker.
                LOG.warnf("episode %s failed (%s); planning it again in %d ms", EpisodeWorker.key(request),
                        e.getMessage(), backoffMs);
                try {
                    Thread.sleep(backoffMs);
                } catch (InterruptedException interrupted) {
                    // Stopping: neither ack nor nack, so the offset stays uncommitted and the episode is redone.
                    Thread.currentThread().interrupt();
                    return new java.util.concurrent.CompletableFuture<>();
                }
                backoffMs = Math.min(backoffMs * 2, 30_000);
            }
        }
        publisher.completed(EpisodeWorker.key(request), completed.getEventId(), completed);
        LOG.infof("episode %s done: success=%s after %d iterations", EpisodeWorker.key(request),
                completed.getSuccess(), completed.getMpcIterations());
        return message.ack();
    }

    /**
     * Whether a failure is the request's own fault, so that retrying is pointless: a gRPC INVALID_ARGUMENT or
     * OUT_OF_RANGE anywhere in the cause chain. Anything else (unavailable, deadline, an expired session) is
     * worth another attempt.
     */
    static boolean refusedForGood(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof StatusRuntimeException s) {
                Status.Code code = s.getStatus().getCode();
                return code == Status.Code.INVALID_ARGUMENT || code == Status.Code.OUT_OF_RANGE;
            }
        }
        return false;
    }
}
