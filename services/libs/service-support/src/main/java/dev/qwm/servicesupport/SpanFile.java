package dev.qwm.servicesupport;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Finished spans as JSON lines appended to one file (one object per span: trace and span ids, parent, name, kind,
 * service, start and end in epoch nanoseconds): traces without a collector, for a local stack and for tests. A
 * service declares {@link #orNone} as a {@link SpanExporter} bean; Quarkus then exports to it beside OTLP.
 */
public final class SpanFile implements SpanExporter {

    private static final AttributeKey<String> SERVICE = AttributeKey.stringKey("service.name");

    private final Path file;

    /** A service's exporter for {@code qwm.tracing.file}: to that file when set, else one that drops every span. */
    public static SpanExporter orNone(Optional<String> file) {
        return file.<SpanExporter>map(f -> new SpanFile(Path.of(f))).orElseGet(() -> SpanExporter.composite(List.of()));
    }

    public SpanFile(Path file) {
        this.file = file.toAbsolutePath();
        try {
            Files.createDirectories(this.file.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the folder of the span file " + this.file, e);
        }
    }

    @Override
    public synchronized CompletableResultCode export(Collection<SpanData> spans) {
        StringBuilder out = new StringBuilder();
        for (SpanData s : spans) {
            out.append("{\"trace_id\":\"").append(s.getTraceId())
                    .append("\",\"span_id\":\"").append(s.getSpanId())
                    .append("\",\"parent_span_id\":\"").append(s.getParentSpanId())
                    .append("\",\"name\":\"").append(escape(s.getName()))
                    .append("\",\"kind\":\"").append(s.getKind())
                    .append("\",\"service\":\"").append(escape(String.valueOf(s.getResource().getAttribute(SERVICE))))
                    .append("\",\"start_ns\":").append(s.getStartEpochNanos())
                    .append(",\"end_ns\":").append(s.getEndEpochNanos())
                    .append(",\"status\":\"").append(s.getStatus().getStatusCode()).append("\"}\n");
        }
        try {
            Files.writeString(file, out, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            return CompletableResultCode.ofSuccess();
        } catch (IOException e) {
            return CompletableResultCode.ofFailure();
        }
    }

    @Override
    public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
    }

    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }
}
