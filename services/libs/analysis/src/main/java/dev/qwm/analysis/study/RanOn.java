package dev.qwm.analysis.study;

import dev.qwm.analysis.data.EpisodeRecord;
import dev.qwm.onnx.runtime.RunEnvironment;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Where a study's episodes ran (the predictor service's CPU, vector features, ONNX Runtime, execution provider,
 * threads), as "ran on" lines per configuration and a warning when one study's cells ran on different CPU classes:
 * such cells differ in kernels, so in timings and in the last bits of float results.
 */
public final class RanOn {

    /** What an episode says when its events carried no run environment. */
    public static final String NOT_RECORDED = "not recorded";

    /** How the mixed-CPU warning begins. */
    public static final String MIXED_WARNING = "warning: this study's cells ran on different CPU classes";

    private RanOn() {
    }

    /** The distinct run environments of {@code episodes}, one line each, with episode counts where they differ. */
    public static List<String> lines(List<EpisodeRecord> episodes) {
        java.util.Map<String, Integer> counts = new java.util.TreeMap<>();
        for (EpisodeRecord e : episodes) {
            counts.merge(e.ranOn() == null ? NOT_RECORDED : describe(e.ranOn()), 1, Integer::sum);
        }
        if (counts.size() == 1) {
            return List.copyOf(counts.keySet());
        }
        return counts.entrySet().stream().map(x -> x.getKey() + " (" + x.getValue() + " episodes)").toList();
    }

    /** A warning when the episodes ran on more than one CPU class, else empty. */
    public static Optional<String> mixedCpuClasses(List<EpisodeRecord> episodes) {
        TreeSet<String> classes = new TreeSet<>();
        episodes.stream().map(EpisodeRecord::ranOn).filter(Objects::nonNull).forEach(r -> classes.add(r.cpuClass()));
        if (classes.size() < 2) {
            return Optional.empty();
        }
        return Optional.of(String.format(Locale.ROOT, MIXED_WARNING + " (%s): their kernels differ, so timings do not compare and float results may differ in the last bits",
                String.join(", ", classes)));
    }

    /** "CPU model (class; features), ONNX Runtime v, provider, n threads". */
    public static String describe(RunEnvironment r) {
        return String.format(Locale.ROOT, "%s (%s; %s), ONNX Runtime %s, %s, %d thread%s", r.cpu(), r.cpuClass(),
                r.cpuFeatures(), r.onnxRuntime(), r.executionProvider(), r.threads(), r.threads() == 1 ? "" : "s");
    }
}
