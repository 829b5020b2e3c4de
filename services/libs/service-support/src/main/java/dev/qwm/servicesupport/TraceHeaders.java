package dev.qwm.servicesupport;

import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * The trace context across Kafka, as W3C {@code traceparent} record headers: a service that publishes an event puts
 * its current context on the record, the one that consumes it continues that trace. Explicit rather than left to the
 * messaging connector, so that a consumer that plans one episode for minutes on its own thread keeps the trace.
 * Without an active span (tracing off) nothing is written and nothing is read.
 */
public final class TraceHeaders {

    private static final TextMapSetter<Headers> SETTER = (headers, key, value) -> {
        headers.remove(key);
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    };

    private static final TextMapGetter<Headers> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Headers headers) {
            List<String> keys = new ArrayList<>();
            for (Header h : headers) {
                keys.add(h.key());
            }
            return keys;
        }

        @Override
        public String get(Headers headers, String key) {
            Header h = headers == null ? null : headers.lastHeader(key);
            return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
        }
    };

    private TraceHeaders() {
    }

    /** Writes {@code context}'s span (if any) into {@code headers}. */
    public static void inject(Context context, Headers headers) {
        W3CTraceContextPropagator.getInstance().inject(context, headers, SETTER);
    }

    /** The context of the span written into {@code headers}, under {@code parent}; {@code parent} if none. */
    public static Context extract(Context parent, Headers headers) {
        return W3CTraceContextPropagator.getInstance().extract(parent, headers, GETTER);
    }
}
