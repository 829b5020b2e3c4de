package dev.qwm.cli.study;

import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * A W3C {@code traceparent} that starts a new trace: ./qwm sends one with a study's submission, and with tracing on in
 * the services every span of the study's episodes (planner, Kafka, predictor, encoder) joins that trace.
 */
public record TraceParent(String traceId, String spanId) {

    private static final SecureRandom RANDOM = new SecureRandom();

    public static TraceParent start() {
        byte[] trace = new byte[16];
        byte[] span = new byte[8];
        RANDOM.nextBytes(trace);
        RANDOM.nextBytes(span);
        return new TraceParent(HexFormat.of().formatHex(trace), HexFormat.of().formatHex(span));
    }

    /** The header value: version 00, sampled. */
    public String header() {
        return "00-" + traceId + "-" + spanId + "-01";
    }
}
