package dev.qwm.onnx.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where ONNX Runtime spent its time, per op type, read from the traces its profiler writes
 * ({@link SessionConfig#withProfiling}). A trace holds one {@code model_run} event per {@code Run} and one
 * {@code <node>_kernel_time} event per node and run, with the node's op type. The first run of each session is left
 * out: it allocates and plans memory, which a planning loop pays once.
 *
 * @param runs       session runs counted (over all traces, first runs excluded)
 * @param runMicros  their total duration (what ORT spent inside {@code Run})
 * @param opMicros   kernel time per op type, largest first
 * @param opCalls    kernel calls per op type
 */
public record OrtProfile(int runs, long runMicros, Map<String, Long> opMicros, Map<String, Long> opCalls) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Kernel time of all op types. */
    public long kernelMicros() {
        return opMicros.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Reads every {@code *.json} trace under {@code directory} (one per profiled session). */
    public static OrtProfile readAll(Path directory) {
        List<Path> traces = new ArrayList<>();
        try (var files = Files.list(directory)) {
            files.filter(f -> f.getFileName().toString().endsWith(".json")).sorted().forEach(traces::add);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list ORT profiles in " + directory, e);
        }
        if (traces.isEmpty()) {
            throw new IllegalStateException("ONNX Runtime wrote no profile into " + directory
                    + " (are the profiled sessions closed?)");
        }
        int runs = 0;
        long runMicros = 0;
        Map<String, Long> micros = new TreeMap<>();
        Map<String, Long> calls = new TreeMap<>();
        for (Path trace : traces) {
            JsonNode events;
            try {
                events = JSON.readTree(trace.toFile());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read ORT profile " + trace, e);
            }
            if (!events.isArray()) {
                throw new IllegalStateException("ORT profile " + trace + " is not an event array");
            }
            // the end of the first run: node events before it belong to the warm-up run
            long firstRunEnd = Long.MIN_VALUE;
            long firstRunStart = Long.MAX_VALUE;
            for (JsonNode e : events) {
                if ("model_run".equals(e.path("name").asText()) && e.path("ts").asLong() < firstRunStart) {
                    firstRunStart = e.path("ts").asLong();
                    firstRunEnd = firstRunStart + e.path("dur").asLong();
                }
            }
            for (JsonNode e : events) {
                long ts = e.path("ts").asLong();
                if (ts < firstRunEnd) {
                    continue;
                }
                String cat = e.path("cat").asText();
                String name = e.path("name").asText();
                if ("Session".equals(cat) && "model_run".equals(name)) {
                    runs++;
                    runMicros += e.path("dur").asLong();
                } else if ("Node".equals(cat) && name.endsWith("_kernel_time")) {
                    String op = e.path("args").path("op_name").asText("?");
                    micros.merge(op, e.path("dur").asLong(), Long::sum);
                    calls.merge(op, 1L, Long::sum);
                }
            }
        }
        Map<String, Long> sorted = new LinkedHashMap<>();
        micros.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())
                .thenComparing(Map.Entry.comparingByKey())).forEach(en -> sorted.put(en.getKey(), en.getValue()));
        return new OrtProfile(runs, runMicros, sorted, calls);
    }
}
