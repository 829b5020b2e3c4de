package dev.qwm.cli;

import dev.qwm.env.EnvironmentKind;
import dev.qwm.infra.LocalInfrastructure;
import dev.qwm.infra.LocalServices;
import dev.qwm.infra.ServiceSpec;
import dev.qwm.infra.StackTls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The whole system on this machine: the broker and database ({@link LocalInfrastructure}) and the services as
 * separate processes ({@link LocalServices}), with everything under {@code $QWM_HOME/.qwm}.
 */
public final class LocalStack {

    public static final int DEFAULT_PLANNERS = 2;

    private final Path root;
    private final Path state;

    public LocalStack() {
        this(Path.of(System.getenv().getOrDefault("QWM_HOME", ".")));
    }

    public LocalStack(Path root) {
        this.root = root.toAbsolutePath().normalize();
        this.state = this.root.resolve(".qwm");
    }

    public Path root() {
        return root;
    }

    public LocalInfrastructure infrastructure() {
        return new LocalInfrastructure(state.resolve("infra"));
    }

    public LocalServices services() {
        return new LocalServices(root, state);
    }

    public Path artifactsRoot() {
        return state.resolve("artifacts");
    }

    public Path pushtDataset() {
        return state.resolve("data/pusht");
    }

    /** The shipped bundles the encoder and predictor services load at startup. */
    public List<Path> shippedBundles() {
        List<Path> out = new ArrayList<>();
        for (EnvironmentKind env : EnvironmentKind.values()) {
            Path b = root.resolve("models").resolve(env.cliName());
            if (Files.exists(b.resolve("model.json"))) {
                out.add(b);
            }
        }
        return out;
    }

    public List<ServiceSpec> specs(LocalInfrastructure.State infra, int planners) {
        return LocalServices.stack(infra, artifactsRoot(), shippedBundles(), pushtDataset(), planners,
                LocalServices.StackPorts.DEFAULT);
    }

    /** The stack's CA, certificate and token ({@code ./qwm services up --tls} makes them once). */
    public Path tlsDirectory() {
        return state.resolve("tls");
    }

    /** Starts what is not running: broker, database, then the services. Returns what this call started. */
    public Started up(int planners, Consumer<String> progress) {
        return up(planners, false, progress);
    }

    /**
     * Like {@link #up(int, Consumer)}; with {@code tls} the services it starts serve HTTPS and gRPC over TLS only and
     * require the stack's bearer token, both made in {@link #tlsDirectory()} the first time.
     */
    public Started up(int planners, boolean tls, Consumer<String> progress) {
        StackTls credentials = null;
        if (tls) {
            boolean made = StackTls.load(tlsDirectory()).isEmpty();
            credentials = StackTls.createOrLoad(tlsDirectory());
            if (made) {
                progress.accept("made a CA, a certificate for 127.0.0.1 and a token in " + root.relativize(tlsDirectory()));
            }
        }
        LocalInfrastructure infra = infrastructure();
        boolean infraStarted = !infra.running();
        LocalInfrastructure.State s = infra.up(LocalInfrastructure.DEFAULT_KAFKA_PORT,
                LocalInfrastructure.DEFAULT_KAFKA_CONTROLLER_PORT, LocalInfrastructure.DEFAULT_POSTGRES_PORT, progress);
        List<ServiceSpec> specs = specs(s, planners);
        if (credentials != null) {
            specs = LocalServices.withTls(specs, credentials);
        }
        List<String> services = services().up(specs, credentials, Duration.ofSeconds(180), progress);
        return new Started(infraStarted, services);
    }

    /** What one {@link #up} call started (so that a demo stops only that). */
    public record Started(boolean infrastructure, List<String> services) {
    }

    public void down(Started started, Consumer<String> progress) {
        if (!started.services().isEmpty()) {
            services().down(started.services(), progress);
        }
        if (started.infrastructure()) {
            infrastructure().down(progress);
        }
    }

    /** The service's address: HTTPS if the running stack serves it with TLS ({@code services up --tls}). */
    public String url(String service) {
        String running = service.equals("planner") ? "planner-1" : service;
        String scheme = services().running().stream().filter(r -> r.name().equals(running)).findFirst()
                .map(r -> r.tls() ? "https" : "http").orElse("http");
        return switch (service) {
            case "quantizer" -> scheme + "://127.0.0.1:8081";
            case "encoder" -> scheme + "://127.0.0.1:8082";
            case "predictor" -> scheme + "://127.0.0.1:8083";
            case "planner" -> scheme + "://127.0.0.1:8084";
            case "collector" -> scheme + "://127.0.0.1:8085";
            default -> throw new IllegalArgumentException("no service " + service);
        };
    }
}
