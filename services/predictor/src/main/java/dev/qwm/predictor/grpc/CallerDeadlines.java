package dev.qwm.predictor.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Gives each call the deadline its caller set. gRPC sends it as the {@code grpc-timeout} header; the Vert.x gRPC
 * server that serves gRPC on the HTTP port reads no deadline from it, so without this a call whose caller gave up
 * long ago would still be computed. The deadline is put in the call's gRPC {@link Context}, which Quarkus carries
 * onto the worker thread of a blocking call.
 */
@ApplicationScoped
@GlobalInterceptor
public class CallerDeadlines implements ServerInterceptor {

    static final Metadata.Key<String> TIMEOUT = Metadata.Key.of("grpc-timeout", Metadata.ASCII_STRING_MARSHALLER);

    private static final ScheduledExecutorService CANCELLER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "predictor-deadlines");
        t.setDaemon(true);
        return t;
    });

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        long nanos = timeoutNanos(headers.get(TIMEOUT));
        if (nanos < 0) {
            return next.startCall(call, headers);
        }
        Context context = Context.current().withDeadline(Deadline.after(nanos, TimeUnit.NANOSECONDS), CANCELLER);
        return Contexts.interceptCall(context, call, headers, next);
    }

    /**
     * The nanoseconds of a {@code grpc-timeout} value (at most 8 digits and a unit: H, M, S, m, u, n), or -1 if there
     * is none or it is not one (such a call is served without a deadline, as before).
     */
    static long timeoutNanos(String value) {
        if (value == null || value.length() < 2 || value.length() > 9) {
            return -1;
        }
        long amount;
        try {
            amount = Long.parseLong(value.substring(0, value.length() - 1));
        } catch (NumberFormatException e) {
            return -1;
        }
        if (amount < 0) {
            return -1;
        }
        TimeUnit unit = switch (value.charAt(value.length() - 1)) {
            case 'H' -> TimeUnit.HOURS;
            case 'M' -> TimeUnit.MINUTES;
            case 'S' -> TimeUnit.SECONDS;
            case 'm' -> TimeUnit.MILLISECONDS;
            case 'u' -> TimeUnit.MICROSECONDS;
            case 'n' -> TimeUnit.NANOSECONDS;
            default -> null;
        };
        return unit == null ? -1 : unit.toNanos(amount);
    }
}
