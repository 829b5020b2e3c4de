package dev.qwm.system;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qwm.infra.EmbeddedInfrastructure;
import dev.qwm.infra.LocalServices;
import dev.qwm.infra.ServiceSpec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** What the system ITs that start the stack share: its services on free ports, and a small Wall study for it. */
final class SystemStack {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private SystemStack() {
    }

    /**
     * The local stack's services (one planner worker) against {@code infra}, with {@code bundle} preloaded and the
     * artifact store under {@code home}, on {@code ports}; the services whose module is in {@code without} left out.
     */
    static List<ServiceSpec> services(EmbeddedInfrastructure infra, Path home, Path bundle,
                                      LocalServices.StackPorts ports, Set<String> without) {
        List<ServiceSpec> specs = new ArrayList<>();
        for (ServiceSpec s : LocalServices.stack(infra.bootstrapServers(), infra.jdbcUrl(), home.resolve("artifacts"),
                List.of(bundle), home.resolve("pusht"), 1, ports)) {
            if (!without.contains(s.module())) {
                specs.add(s);
            }
        }
        return specs;
    }

    /** {@code s} with {@code more} added to its environment variables. */
    static ServiceSpec withEnvironment(ServiceSpec s, Map<String, String> more) {
        Map<String, String> env = new LinkedHashMap<>(s.environment());
        env.putAll(more);
        return new ServiceSpec(s.name(), s.module(), s.port(), env, s.properties(), s.heap(), s.tls());
    }

    /**
     * A study of {@code episodes} Wall episodes with {@code bundle} at full precision (one configuration, "fp32"), at
     * a small CEM budget: horizon 5, all actions executed.
     */
    static ObjectNode wallStudy(String name, int episodes, Path bundle, int samples, int topK, int optSteps,
                                int maxIter) {
        ObjectNode study = JSON.createObjectNode().put("name", name).put("environment", "wall").put("episodes", episodes);
        ObjectNode c = study.putArray("configurations").addObject().put("label", "fp32");
        c.putObject("encoder").put("bundle", bundle.toString());
        c.putObject("predictor").put("bundle", bundle.toString());
        c.putObject("budget").put("horizon", 5).put("samples", samples).put("top_k", topK).put("var_scale", 1.0)
                .put("opt_steps", optSteps).put("max_iter", maxIter).put("objective_alpha", 1.0)
                .put("executed_actions", 5);
        return study;
    }

    /** POSTs {@code body} as JSON and returns the JSON answer; an answer of 400 or more fails the test, with its body. */
    static JsonNode post(String url, JsonNode body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 400) {
            throw new AssertionError("POST " + url + " -> " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body());
    }
}
