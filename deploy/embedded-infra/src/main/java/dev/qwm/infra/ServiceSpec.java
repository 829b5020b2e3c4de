package dev.qwm.infra;

import java.nio.file.Path;
import java.util.Map;

/**
 * One service process of the local stack: its name (also the log and PID name), the module folder its
 * {@code target/quarkus-app/quarkus-run.jar} comes from, its HTTP port (gRPC shares it) and its environment.
 */
public record ServiceSpec(String name, String module, int port, Map<String, String> environment, String heap) {

    public Path jar(Path root) {
        return root.resolve("services").resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }
}
