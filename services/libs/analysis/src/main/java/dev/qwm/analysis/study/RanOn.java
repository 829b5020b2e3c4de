package dev.qwm.analysis.study;

import dev.qwm.analysis.data.EpisodeRecord;
import dev.qwm.onnx.runtime.RunEnvironment;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Where a study's episodes ran (the predictor and encoder services' CPU, vector features, ONNX Runtime, execution
 * provider, threads), as "ran on" lines per configuration and a warning when one study's cells ran on different CPU classes:
 * such cells differ in kernels, so in timings and in the last bits of float results.
 */
public final class RanOn {

    /** What an episode says when its events carried no run environment. */
    public static final String NOT_RECORDED = "not recorded";

    /** How the mixed-CPU warning begins. */
    public static final String MIXED_WARNING = "warning: this study's cells ran on different CPU classes";

    private RanOn() {
    }

    /** What {@link #collapse} names all configurations by. */
    public static final String EVERY_CONFIGURATION = "every configuration";

    /**
     * The distinct run environments of {@code episodes}, one line each, with episode counts where they differ. A line
     * names the predictor service's environment, and the encoder service's too when it differs.
     */
    public static List<String> lines(List<EpisodeRecord> episodes) {
        java.util.Map<String, Integer> counts = new java.util.TreeMap<>();
        for (EpisodeRecord e : episodes) {
            counts.merge(line(e), 1, Integer::sum);
        }
        if (counts.size() == 1) {
            return List.copyOf(counts.keySet());
        }
        return counts.entrySet().stream().map(x -> x.getKey() + " (" + x.getValue() + " episodes)").toList();
    }

    /** Per configuration lines as {@link #lines}; a single {@link #EVERY_CONFIGURATION} entry when all are equal. */
    public static java.util.Map<String, List<String>> collapse(java.util.Map<String, List<String>> perConfiguration) {
        if (perConfiguration.size() > 1 && perConfiguration.values().stream().distinct().count() == 1) {
            return java.util.Map.of(EVERY_CONFIGURATION, perConfiguration.values().iterator().next());
        }
        return perConfiguration;
    }

    private static String line(EpisodeRecord e) {
        if (e.ranOn() == null) {
            return e.encoderRanOn() == null ? NOT_RECORDED : "encoder " + describe(e.encoderRanOn());
        }
        if (e.encoderRanOn() == null || e.encoderRanOn().equals(e.ranOn())) {
            return describe(e.ranOn());
        }
        return "predictor " + describe(e.ranOn()) + "; encoder " + describe(e.encoderRanOn());
    }

    /** A warning when the episodes ran on more than one CPU class (encoder or predictor service), else empty. */
    public static Optional<String> mixedCpuClasses(List<EpisodeRecord> episodes) {
        TreeSet<String> classes = new TreeSet<>();
        episodes.stream().map(EpisodeRecord::ranOn).filter(Objects::nonNull).forEach(r -> classes.add(r.cpuClass()));
        episodes.stream().map(EpisodeRecord::encoderRanOn).filter(Objects::nonNull)
                .forEach(r -> classes.add(r.cpuClass()));
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
