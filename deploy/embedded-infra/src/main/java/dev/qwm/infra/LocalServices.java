package dev.qwm.infra;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The qwm services as separate local processes ({@code java -jar quarkus-run.jar}), each on its own port, with logs
 * under {@code <home>/logs} and PIDs in {@code <home>/services.json}, started in dependency order and each awaited
 * on {@code /q/health/ready}. Stopped by PID.
 */
public final class LocalServices {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** A running service as recorded; {@code tls}: it serves HTTPS only and requires the stack's token. */
    public record Running(String name, long pid, int port, boolean tls) {

        public String baseUrl() {
            return (tls ? "https" : "http") + "://127.0.0.1:" + port;
        }
    }

    private final Path root;
    private final Path home;

    /**
     * @param root the repository root (where services/ is)
     * @param home where logs and the PID file go
     */
    public LocalServices(Path root, Path home) {
        this.root = root.toAbsolutePath();
        this.home = home.toAbsolutePath();
    }

    /**
     * The address the services listen on: 127.0.0.1 (nothing on the network can reach a local stack, which has no
     * authentication unless started with {@link StackTls}), unless {@code QWM_BIND_HOST} says otherwise (e.g. 0.0.0.0
     * to serve other machines).
     */
    public static String bindHost() {
        String host = System.getenv("QWM_BIND_HOST");
        return host == null || host.isBlank() ? "127.0.0.1" : host.trim();
    }

    /**
     * The ports of a local stack. Planner worker {@code i} (1-based) listens on {@code planners.get(i - 1)} when the
     * list holds it, else on {@code planner + 10 * (i - 1)} (the fixed layout: 8084, 8094, ...).
     */
    public record StackPorts(int quantizer, int encoder, int predictor, int planner, int collector,
                             List<Integer> planners) {

        public static final StackPorts DEFAULT = new StackPorts(8081, 8082, 8083, 8084, 8085, List.of());

        public StackPorts {
            planners = List.copyOf(planners);
        }

        /** Free ports for every service and for {@code plannerWorkers} planner workers (tests). */
        public static StackPorts free(int plannerWorkers) {
            List<Integer> workers = new ArrayList<>();
            for (int i = 0; i < plannerWorkers; i++) {
                workers.add(Ports.free());
            }
            return new StackPorts(Ports.free(), Ports.free(), Ports.free(), workers.isEmpty() ? Ports.free()
                    : workers.get(0), Ports.free(), workers);
        }

        public int planner(int i) {
            if (i < 1) {
                throw new IllegalArgumentException("planner workers are numbered from 1, got " + i);
            }
            return i <= planners.size() ? planners.get(i - 1) : planner + 10 * (i - 1);
        }
    }

    /**
     * The local stack against {@code infra}: collector, encoder, predictor, quantizer and {@code planners}
     * planner workers, serving the bundles in {@code preload}.
     */
    public static List<ServiceSpec> stack(LocalInfrastructure.State infra, Path artifactsRoot, List<Path> preload,
                                          Path pushtDataset, int planners, StackPorts ports) {
        return stack(infra.bootstrapServers(), infra.jdbcUrl(), artifactsRoot, preload, pushtDataset, planners, ports);
    }

    public static List<ServiceSpec> stack(String bootstrapServers, String jdbcUrl, Path artifactsRoot, List<Path> preload,
                                          Path pushtDataset, int planners, StackPorts ports) {
        String bundles = String.join(",", preload.stream().map(p -> p.toAbsolutePath().toString()).toList());
        Map<String, String> kafka = Map.of("QWM_KAFKA_BOOTSTRAP", bootstrapServers);
        // the only folders a service loads bundles from: the artifact store and the shipped models' folders
        java.util.Set<String> rootSet = new java.util.LinkedHashSet<>();
        rootSet.add(artifactsRoot.toAbsolutePath().normalize().toString());
        preload.forEach(p -> rootSet.add(p.toAbsolutePath().normalize().getParent().toString()));
        Map<String, String> roots = Map.of("QWM_BUNDLE_ROOTS", String.join(",", rootSet));
        List<ServiceSpec> specs = new ArrayList<>();
        specs.add(new ServiceSpec("collector", "collector", ports.collector(), merge(kafka, Map.of(
                "QWM_JDBC_URL", jdbcUrl, "QWM_DB_USER", PostgresServer.USER,
                "QWM_DB_PASSWORD", PostgresServer.PASSWORD)), "384m"));
        specs.add(new ServiceSpec("encoder", "encoder", ports.encoder(), merge(roots, Map.of("QWM_ENCODER_PRELOAD", bundles)),
                "512m"));
        specs.add(new ServiceSpec("predictor", "predictor", ports.predictor(), merge(roots, Map.of(
                "QWM_ENCODER_HOST", "127.0.0.1", "QWM_ENCODER_PORT", Integer.toString(ports.encoder()),
                "QWM_PREDICTOR_PRELOAD", bundles)), "768m"));
        specs.add(new ServiceSpec("quantizer", "quantizer", ports.quantizer(), merge(merge(kafka, roots), Map.of(
                "QWM_ARTIFACTS_ROOT", artifactsRoot.toAbsolutePath().toString(),
                "QWM_PUSHT_DATASET", pushtDataset.toAbsolutePath().toString())), "1g"));
        for (int i = 1; i <= planners; i++) {
            specs.add(new ServiceSpec("planner-" + i, "planner", ports.planner(i), merge(merge(kafka, roots), Map.of(
                    "QWM_PREDICTOR_HOST", "127.0.0.1", "QWM_PREDICTOR_PORT", Integer.toString(ports.predictor()),
                    "QWM_PLANNER_WORKER_ID", "planner-" + i,
                    "QWM_PUSHT_DATASET", pushtDataset.toAbsolutePath().toString())), "384m"));
        }
        return specs;
    }

    private static Map<String, String> merge(Map<String, String> a, Map<String, String> b) {
        Map<String, String> m = new LinkedHashMap<>(a);
        m.putAll(b);
        return m;
    }

    private Path pidFile() {
        return home.resolve("services.json");
    }

    public Path logFile(String name) {
        return home.resolve("logs").resolve(name + ".log");
    }

    /** The recorded services that are still alive. */
    public List<Running> running() {
        return recorded().stream().filter(r -> Processes.alive(r.pid())).toList();
    }

    private List<Running> recorded() {
        if (!Files.exists(pidFile())) {
            return List.of();
        }
        try {
            return JSON.readValue(pidFile().toFile(), new TypeReference<List<Running>>() { });
        } catch (IOException e) {
            throw new IllegalStateException(pidFile() + " is not a qwm services file: " + e.getMessage(), e);
        }
    }

    /** The same services serving HTTPS and gRPC over TLS only with {@code tls}'s certificate, requiring its token. */
    public static List<ServiceSpec> withTls(List<ServiceSpec> specs, StackTls tls) {
        return specs.stream().map(s -> s.withTls(tls)).toList();
    }

    /**
     * Starts every service of {@code specs} that is not running yet and waits until each is ready, in order
     * (a service's dependencies come before it). Returns the names it started. Services with TLS are awaited over
     * HTTPS trusting {@code tls}'s CA.
     */
    public List<String> up(List<ServiceSpec> specs, Duration readyTimeout, Consumer<String> progress) {
        return up(specs, null, readyTimeout, progress);
    }

    public List<String> up(List<ServiceSpec> specs, StackTls tls, Duration readyTimeout, Consumer<String> progress) {
        try {
            Files.createDirectories(home.resolve("logs"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Running> all = new ArrayList<>(running());
        List<String> started = new ArrayList<>();
        for (ServiceSpec spec : specs) {
            if (all.stream().anyMatch(r -> r.name().equals(spec.name()))) {
                continue;
            }
            Path jar = spec.jar(root);
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException("service " + spec.name() + " is not built: " + jar + " is missing"
                        + " (./mvnw package -DskipTests -pl services/" + spec.module() + " -am)");
            }
            Ports.requireFree(spec.port(), "port of service " + spec.name());
            if (spec.tls() && tls == null) {
                throw new IllegalArgumentException("service " + spec.name() + " serves TLS: give the stack's TLS"
                        + " credentials to await it");
            }
            progress.accept("starting " + spec.name() + " on " + bindHost() + ":" + spec.port()
                    + (spec.tls() ? " (TLS, token required)" : ""));
            Process p = launch(spec, jar);
            all.add(new Running(spec.name(), p.pid(), spec.port(), spec.tls()));
            write(all);
            started.add(spec.name());
            ServiceProcess.awaitReady(spec.name(), p, spec.baseUrl(), logFile(spec.name()), readyTimeout,
                    spec.tls() ? ServiceProcess.client(tls.sslContext()) : ServiceProcess.client(null));
        }
        return started;
    }

    private Process launch(ServiceSpec spec, Path jar) {
        List<String> command = new ArrayList<>(Processes.detachedPrefix());
        command.addAll(List.of(Processes.javaExecutable(), "-Xmx" + spec.heap(), "-XX:+UseSerialGC",
                "-Dquarkus.http.host=" + bindHost(), "-Dquarkus.http.port=" + spec.port()));
        spec.properties().forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.addAll(List.of("-jar", jar.toString()));
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(root.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile(spec.name()).toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().putAll(spec.environment());
        try {
            return pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + spec.name(), e);
        }
    }

    /** Stops the named services (all if {@code names} is empty) by PID, in reverse start order. */
    public List<String> down(List<String> names, Consumer<String> progress) {
        List<Running> all = new ArrayList<>(recorded());
        List<String> stopped = new ArrayList<>();
        for (int i = all.size() - 1; i >= 0; i--) {
            Running r = all.get(i);
            if (!names.isEmpty() && !names.contains(r.name())) {
                continue;
            }
            if (Processes.alive(r.pid())) {
                progress.accept("stopping " + r.name() + " (pid " + r.pid() + ")");
                ProcessHandle.of(r.pid()).ifPresent(h -> Processes.stop(h, Duration.ofSeconds(30)));
                stopped.add(r.name());
            }
            all.remove(i);
        }
        write(all);
        return stopped;
    }

    /** Kills one service at once (SIGKILL), as a crash would, and returns once it is gone (so it can be started again). */
    public void kill(String name) {
        recorded().stream().filter(r -> r.name().equals(name)).findFirst()
                .flatMap(r -> ProcessHandle.of(r.pid())).ifPresent(h -> {
                    h.destroyForcibly();
                    try {
                        h.onExit().get(60, java.util.concurrent.TimeUnit.SECONDS);
                    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                        throw new IllegalStateException("service " + name + " (pid " + h.pid() + ") survived SIGKILL", e);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException(e);
                    }
                });
    }

    private void write(List<Running> services) {
        try {
            JSON.writeValue(pidFile().toFile(), services);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + pidFile(), e);
        }
    }
}
