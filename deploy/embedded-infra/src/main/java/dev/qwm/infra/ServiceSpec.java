package dev.qwm.infra;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One service process of the local stack: its name (also the log and PID name), the module folder its
 * {@code target/quarkus-app/quarkus-run.jar} comes from, its HTTP port (gRPC shares it), its environment, the
 * properties it gets as {@code -D} options (those whose names an environment variable cannot spell: map keys), and
 * whether it serves HTTPS only and requires the stack's token ({@link StackTls}).
 */
public record ServiceSpec(String name, String module, int port, Map<String, String> environment,
                          Map<String, String> properties, String heap, boolean tls) {

    public ServiceSpec(String name, String module, int port, Map<String, String> environment, String heap) {
        this(name, module, port, environment, Map.of(), heap, false);
    }

    /** The same service serving HTTPS and gRPC over TLS only, with {@code tls}'s certificate, requiring its token. */
    public ServiceSpec withTls(StackTls tls) {
        Map<String, String> env = new LinkedHashMap<>(environment);
        env.putAll(tls.serviceEnvironment(port));
        Map<String, String> props = new LinkedHashMap<>(properties);
        props.putAll(tls.serviceProperties());
        return new ServiceSpec(name, module, port, env, props, heap, true);
    }

    public Path jar(Path root) {
        return root.resolve("services").resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
    }

    public String baseUrl() {
        return (tls ? "https" : "http") + "://127.0.0.1:" + port;
    }
}
