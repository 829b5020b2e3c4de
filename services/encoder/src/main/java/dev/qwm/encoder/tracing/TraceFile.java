package dev.qwm.encoder.tracing;

import dev.qwm.servicesupport.SpanFile;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Spans to the file of {@code qwm.tracing.file} as JSON lines, beside OTLP (when tracing is on at all). */
public class TraceFile {

    @Produces
    @Singleton
    SpanExporter spanFile(@ConfigProperty(name = "qwm.tracing.file") Optional<String> file) {
        return SpanFile.orNone(file);
    }
}
