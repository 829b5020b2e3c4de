package dev.qwm.encoder.tracing;

import dev.qwm.servicesupport.SpanFile;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Spans to the file of {@code qwm.tracing.file} as JSON lines, beside OTLP (when tracing is on at all). */
public class TraceFile {

    @Produces
    @Singleton
    SpanExporter spanFile(@ConfigProperty(name = "qwm.tracing.file") Optional<String> file) {
        if (file.isPresent()) {
            return new SpanFile(Path.of(file.get()));
        }
        return new SpanExporter() {
            @Override
            public CompletableResultCode export(java.util.Collection<io.opentelemetry.sdk.trace.data.SpanData> spans) {
                return CompletableResultCode.ofSuccess();
            }

            @Override
            public CompletableResultCode flush() {
                return CompletableResultCode.ofSuccess();
            }

            @Override
            public CompletableResultCode shutdown() {
                return CompletableResultCode.ofSuccess();
            }
        };
    }
}
