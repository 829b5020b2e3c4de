package dev.qwm.servicesupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TraceHeadersTest {

    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String SPAN = "00f067aa0ba902b7";

    @Test
    void aRecordCarriesItsPublishersSpanAndTheConsumerContinuesThatTrace() {
        Context published = Span.wrap(SpanContext.create(TRACE, SPAN, TraceFlags.getSampled(), TraceState.getDefault()))
                .storeInContext(Context.root());
        RecordHeaders headers = new RecordHeaders();
        headers.add("qwm-event-id", "e-1".getBytes(StandardCharsets.UTF_8));
        TraceHeaders.inject(published, headers);
        TraceHeaders.inject(published, headers); // written again (a retried send): still one header
        assertEquals(1, headers.toArray().length - 1);
        assertEquals("00-" + TRACE + "-" + SPAN + "-01",
                new String(headers.lastHeader("traceparent").value(), StandardCharsets.UTF_8));

        SpanContext consumed = Span.fromContext(TraceHeaders.extract(Context.root(), headers)).getSpanContext();
        assertEquals(TRACE, consumed.getTraceId());
        assertEquals(SPAN, consumed.getSpanId());
        assertTrue(consumed.isRemote());
    }

    @Test
    void withoutASpanNothingIsWrittenAndNothingRead() {
        RecordHeaders headers = new RecordHeaders();
        TraceHeaders.inject(Context.root(), headers);
        assertNull(headers.lastHeader("traceparent"));
        assertFalse(Span.fromContext(TraceHeaders.extract(Context.root(), headers)).getSpanContext().isValid());
    }

    @Test
    void theSpanFileHoldsOneJsonLinePerFinishedSpan(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("traces").resolve("planner.jsonl");
        try (SdkTracerProvider tracing = SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(new SpanFile(file))).build()) {
            Span parent = tracing.get("test").spanBuilder("plan \"episode\" s/0").startSpan();
            Span child = tracing.get("test").spanBuilder("Rollout").setParent(parent.storeInContext(Context.root()))
                    .startSpan();
            child.end();
            parent.end();
        }
        List<String> lines = Files.readAllLines(file);
        assertEquals(2, lines.size());
        ObjectMapper json = new ObjectMapper();
        JsonNode child = json.readTree(lines.get(0));
        JsonNode parent = json.readTree(lines.get(1));
        assertEquals("Rollout", child.path("name").asText());
        assertEquals("plan \"episode\" s/0", parent.path("name").asText());
        assertEquals(parent.path("trace_id").asText(), child.path("trace_id").asText());
        assertEquals(parent.path("span_id").asText(), child.path("parent_span_id").asText());
        assertTrue(child.path("end_ns").asLong() >= child.path("start_ns").asLong());
    }
}
