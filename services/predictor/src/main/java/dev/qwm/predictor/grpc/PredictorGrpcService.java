package dev.qwm.predictor.grpc;

import dev.qwm.api.predictor.v1.CloseSessionRequest;
import dev.qwm.api.predictor.v1.CloseSessionResponse;
import dev.qwm.api.predictor.v1.EmbedRequest;
import dev.qwm.api.predictor.v1.EmbedResponse;
import dev.qwm.api.predictor.v1.OpenSessionRequest;
import dev.qwm.api.predictor.v1.OpenSessionResponse;
import dev.qwm.api.predictor.v1.PredictorService;
import dev.qwm.api.predictor.v1.RolloutRequest;
import dev.qwm.api.predictor.v1.RolloutResponse;
import dev.qwm.predictor.service.RolloutService;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * {@code qwm.predictor.v1.PredictorService}: a thin adapter onto {@link RolloutService}. Bad input is
 * INVALID_ARGUMENT, an unknown or expired session NOT_FOUND, too many sessions RESOURCE_EXHAUSTED, an unreachable
 * encoder service UNAVAILABLE; each with a description naming the problem. A Rollout honours its caller's deadline
 * ({@link CallerDeadlines}): once it has passed, the rollout is not run (DEADLINE_EXCEEDED).
 */
@GrpcService
public class PredictorGrpcService implements PredictorService {

    private static final Logger LOG = Logger.getLogger(PredictorGrpcService.class);

    private final RolloutService service;
    private final MeterRegistry registry;

    public PredictorGrpcService(RolloutService service, MeterRegistry registry) {
        this.service = service;
        this.registry = registry;
    }

    @Override
    @Blocking
    public Uni<OpenSessionResponse> openSession(OpenSessionRequest request) {
        return call("OpenSession", () -> service.openSession(request));
    }

    @Override
    @Blocking
    public Uni<RolloutResponse> rollout(RolloutRequest request) {
        Deadline deadline = Context.current().getDeadline();
        return call("Rollout", () -> service.rollout(request, deadline));
    }

    @Override
    @Blocking
    public Uni<EmbedResponse> embed(EmbedRequest request) {
        return call("Embed", () -> service.embed(request));
    }

    @Override
    public Uni<CloseSessionResponse> closeSession(CloseSessionRequest request) {
        return call("CloseSession", () -> {
            service.closeSession(request.getSessionId());
            return CloseSessionResponse.getDefaultInstance();
        });
    }

    private <T> Uni<T> call(String rpc, Supplier<T> body) {
        Timer.Sample sample = Timer.start(registry);
        Deadline deadline = Context.current().getDeadline();
        if (deadline != null) {
            // how much time callers leave the service: a planner whose deadline is too short shows here
            registry.timer("qwm.predictor.caller.deadline", "rpc", rpc)
                    .record(Math.max(0, deadline.timeRemaining(java.util.concurrent.TimeUnit.NANOSECONDS)),
                            java.util.concurrent.TimeUnit.NANOSECONDS);
        }
        Status status;
        try {
            T response = body.get();
            count(rpc, Status.Code.OK);
            return Uni.createFrom().item(response);
        } catch (StatusRuntimeException e) {
            status = e.getStatus();
        } catch (IllegalArgumentException e) {
            status = Status.INVALID_ARGUMENT.withDescription(e.getMessage());
        } catch (RuntimeException e) {
            LOG.errorf(e, "%s failed", rpc);
            status = Status.INTERNAL.withDescription(rpc + " failed: " + e);
        } finally {
            sample.stop(registry.timer("qwm.predictor.rpc", "rpc", rpc));
        }
        count(rpc, status.getCode());
        return Uni.createFrom().failure(status.asRuntimeException());
    }

    private void count(String rpc, Status.Code code) {
        registry.counter("qwm.predictor.requests", "rpc", rpc, "status", code.name()).increment();
    }
}
