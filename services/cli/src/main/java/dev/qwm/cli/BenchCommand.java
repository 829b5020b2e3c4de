package dev.qwm.cli;

import dev.qwm.analysis.report.TextTable;
import dev.qwm.env.EnvironmentKind;
import dev.qwm.onnx.bundle.BundleManifest;
import dev.qwm.onnx.bundle.ModelBundle;
import dev.qwm.quant.ConsoleProgress;
import dev.qwm.quant.Progress;
import dev.qwm.quant.bench.BundleBenchmark;
import dev.qwm.onnx.runtime.CpuFeatures;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code ./qwm bench}: model bundles side by side in one run (FP32 next to its quantized forms): time per CEM step
 * on the planning path with one thread and all, FLOP from the graphs, bytes, the kernels ORT really runs.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmark model bundles side by side: time per CEM step (300 candidates x horizon 5 through the "
                + "planner, 1 intra-op thread and all), GFLOP per step counted from the graphs, bytes per component and "
                + "of the matrix-product weights, and the kernels ONNX Runtime really runs, with the CPU's vector "
                + "features. Repetitions alternate between bundles, so machine load hits all alike; read the ratios "
                + "to the first bundle.",
                "Examples:",
                "  ./qwm bench --bundle models/wall --bundle /tmp/wall-w8a8 --bundle /tmp/wall-w4 --env wall",
                "  ./qwm bench --bundle models/pusht --bundle /tmp/pusht-w8a8 --json"})
public final class BenchCommand implements Callable<Integer> {

    @Option(names = "--bundle", required = true, paramLabel = "DIR", description = "A model bundle; repeat for each (the first is the reference of the ratios).")
    List<Path> bundles;

    @Option(names = "--env", description = "wall or pusht (default: the first bundle's); every bundle must be of it.")
    String env;

    @Option(names = "--reps", defaultValue = "10", description = "Timed CEM steps per bundle and thread setting (default: ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--warmup", defaultValue = "2", description = "Untimed CEM steps per bundle and thread setting first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--samples", defaultValue = "300", description = "CEM candidates per step (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--horizon", defaultValue = "5", description = "CEM horizon in macro actions (default: ${DEFAULT-VALUE}).")
    int horizon;

    @Option(names = "--threads", split = ",", paramLabel = "N", description = "Intra-op thread counts to time (default: 1 and all cores).")
    List<Integer> threads;

    @Option(names = "--json", description = "Print the report as JSON instead of the tables.")
    boolean json;

    @Option(names = "--profile", arity = "0..1", fallbackValue = "3", defaultValue = "0", paramLabel = "STEPS",
            description = "After the timings, profile STEPS CEM steps per bundle (default when given: ${FALLBACK-VALUE}) "
                    + "with ORT's profiler, 1 thread, in sessions of their own, and show where a step goes per op type.")
    int profile;

    @Override
    public Integer call() {
        List<ModelBundle> read = new ArrayList<>();
        for (Path p : bundles) {
            read.add(ModelBundle.read(p));
        }
        String environment = env != null ? EnvironmentKind.parse(env).cliName() : read.get(0).manifest().environment();
        for (ModelBundle b : read) {
            if (!b.manifest().environment().equals(environment)) {
                throw new IllegalArgumentException("bundle " + b.directory() + " (" + b.manifest().name() + ") is a "
                        + b.manifest().environment() + " model; the bench runs " + environment + " (--env)");
            }
        }
        List<Integer> threadCounts = threads != null ? threads : List.of(1, Runtime.getRuntime().availableProcessors());
        BundleBenchmark.Settings settings = new BundleBenchmark.Settings(samples, horizon, reps, warmup, threadCounts,
                profile);
        CpuFeatures cpu = CpuFeatures.current();
        System.err.printf(Locale.ROOT, "qwm bench: %d bundle(s) on %s, CEM step %d x %d, %d interleaved repetitions "
                        + "(+%d warm-up), intra-op threads %s; CPU %s (%d cores): %s%n", read.size(), environment, samples,
                horizon, reps, warmup, settings.threads(), cpu.model(), Runtime.getRuntime().availableProcessors(),
                cpu.summary());
        Progress progress = new ConsoleProgress(System.err);
        BundleBenchmark.Report report = BundleBenchmark.run(read, environment, settings, progress);
        if (json) {
            System.out.println(report.toJson());
        } else {
            print(report);
        }
        return 0;
    }

    static void print(BundleBenchmark.Report r) {
        System.out.printf(Locale.ROOT, "%nran on: CPU %s (%s), %d cores: %s; ONNX Runtime %s, %s execution provider%n",
                r.cpu().model(), r.cpu().cpuClass(), r.cpu().cores(), features(r), r.onnxRuntime(), r.executionProvider());
        BundleBenchmark.Settings s = r.settings();
        System.out.printf(Locale.ROOT, "one CEM step = %d candidates x horizon %d on %s; median of %d interleaved steps "
                + "(x = ratio to the first bundle; cpu = least thread CPU time, 1 thread)%n%n", s.candidates(),
                s.horizon(), r.environment(), s.repetitions());
        List<String> header = new ArrayList<>(List.of("bundle", "GFLOP/step"));
        for (int t : s.threads()) {
            header.add(t + "-thr ms");
            header.add("x");
            if (t == 1) {
                header.add("cpu ms");
                header.add("x");
            }
        }
        boolean extrapolated = s.candidates() != BundleBenchmark.Settings.FULL_CANDIDATES;
        if (extrapolated && s.threads().contains(1)) {
            header.add("1-thr cpu ms @" + BundleBenchmark.Settings.FULL_CANDIDATES);
        }
        header.addAll(List.of("predictor KiB", "x", "pred. weights KiB", "x", "predictor kernels"));
        TextTable table = new TextTable(header.toArray(String[]::new));
        for (BundleBenchmark.BundleResult b : r.bundles()) {
            List<Object> row = new ArrayList<>(List.of(label(r, b), fmt("%.2f", b.gflop())));
            for (BundleBenchmark.Timing t : b.timings()) {
                row.add(fmt("%.1f", t.medianMs()));
                row.add(fmt("%.2f", t.medianRatio()));
                if (t.threads() == 1) {
                    row.add(fmt("%.1f", t.minCpuMs()));
                    row.add(fmt("%.2f", t.minCpuRatio()));
                }
            }
            if (extrapolated && s.threads().contains(1)) {
                row.add(fmt("%.0f", b.timing(1).extrapolatedCpuMs()));
            }
            BundleBenchmark.Component p = b.component(BundleManifest.PREDICTOR);
            row.add(fmt("%.1f", p.bytes() / 1024.0));
            row.add(fmt("%.3f", p.ratio()));
            row.add(fmt("%.1f", p.weightBytes() / 1024.0));
            row.add(fmt("%.3f", p.weightRatio()));
            row.add(kernels(p));
            table.row(row.toArray());
        }
        table.print(System.out);
        if (extrapolated) {
            System.out.printf(Locale.ROOT, "@%d: the full step extrapolated linearly from %d candidates (the predictor's "
                    + "batch is the candidates; fixed per-call costs make it an upper bound)%n",
                    BundleBenchmark.Settings.FULL_CANDIDATES, s.candidates());
        }
        if (s.profileSteps() > 0) {
            printProfile(r);
        }

        System.out.println();
        TextTable parts = new TextTable("bundle", "component", "KiB", "x", "weights KiB", "x", "ORT kernels", "unfused DQ");
        for (BundleBenchmark.BundleResult b : r.bundles()) {
            for (BundleBenchmark.Component c : b.components()) {
                parts.row(label(r, b), c.name(), fmt("%.1f", c.bytes() / 1024.0), fmt("%.3f", c.ratio()),
                        fmt("%.1f", c.weightBytes() / 1024.0), fmt("%.3f", c.weightRatio()),
                        kernels(c), c.unfusedDequantize());
            }
        }
        parts.print(System.out);
        for (BundleBenchmark.BundleResult b : r.bundles()) {
            System.out.printf("%s = %s%n", label(r, b), b.directory());
        }
    }

    /** Where a step goes: the op types taking the most time in any bundle, as a share of each bundle's step. */
    static void printProfile(BundleBenchmark.Report r) {
        java.util.Map<String, Double> most = new java.util.HashMap<>();
        for (BundleBenchmark.BundleResult b : r.bundles()) {
            b.profile().opShare().forEach((op, sh) -> most.merge(op, sh, Math::max));
        }
        List<String> ops = most.entrySet().stream().filter(e -> e.getValue() >= 0.01)
                .sorted((x, y) -> Double.compare(y.getValue(), x.getValue())).map(java.util.Map.Entry::getKey).toList();
        List<String> header = new ArrayList<>(List.of("bundle", "step ms", "in ORT", "products", "outside ORT"));
        ops.forEach(header::add);
        header.add("other ops");
        TextTable t = new TextTable(header.toArray(String[]::new));
        for (BundleBenchmark.BundleResult b : r.bundles()) {
            BundleBenchmark.Profile p = b.profile();
            List<Object> row = new ArrayList<>(List.of(label(r, b), fmt("%.1f", p.stepMs()),
                    pct(p.ortMs() / p.stepMs()), pct(p.productShare()), pct(p.outsideOrtShare())));
            double shown = 0;
            for (String op : ops) {
                double sh = p.opShare().getOrDefault(op, 0.0);
                shown += sh;
                row.add(p.opShare().containsKey(op) ? pct(sh) : "-");
            }
            row.add(pct(p.opShare().values().stream().mapToDouble(Double::doubleValue).sum() - shown));
            t.row(row.toArray());
        }
        System.out.printf(Locale.ROOT, "%nwhere a CEM step goes (ORT profiler, 1 thread, %d profiled steps per bundle; "
                + "share of the step's wall time, profiler overhead included; op types with >= 1%% somewhere; each "
                + "session's first run is left out, so 'outside ORT' also holds one predictor call of the profiled "
                + "steps' horizon x steps):%n", r.settings().profileSteps());
        t.print(System.out);
    }

    /** The kernels that run, with the MatMulNBits layers run as float MatMuls on this CPU named. */
    private static String kernels(BundleBenchmark.Component c) {
        String k = BundleBenchmark.describeKernels(c.kernels());
        return c.expandedAtLoad() == 0 ? k : k + " (" + c.expandedAtLoad() + " MatMulNBits as float MatMul at load)";
    }

    private static String pct(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * v);
    }

    /** The bundle's name, with its folder's when another bundle has the same name (e.g. two emit settings). */
    private static String label(BundleBenchmark.Report r, BundleBenchmark.BundleResult b) {
        long same = r.bundles().stream().filter(o -> o.name().equals(b.name())).count();
        return same == 1 ? b.name() : b.name() + " [" + Path.of(b.directory()).getFileName() + "]";
    }

    private static String features(BundleBenchmark.Report r) {
        StringBuilder b = new StringBuilder();
        r.cpu().features().forEach((f, on) -> b.append(b.length() == 0 ? "" : " ").append(f).append(on ? "+" : "-"));
        return b.toString();
    }

    private static String fmt(String format, double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, format, v);
    }
}
