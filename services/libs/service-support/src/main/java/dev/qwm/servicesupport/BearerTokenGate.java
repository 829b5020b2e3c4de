package dev.qwm.servicesupport;

import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * Refuses every request on a service's HTTP port (its REST API and, since gRPC shares that port, every gRPC call)
 * that does not carry {@code Authorization: Bearer <token>}, except the probes and metrics under {@code /q/health}
 * and {@code /q/metrics} (Kubernetes and Prometheus call them without credentials; they say nothing a study holds).
 * A refused gRPC call ends with HTTP 401, which gRPC clients report as {@code UNAUTHENTICATED}. Each service installs
 * it from a bean that observes its {@link Router}, with the token from {@code qwm.auth.token}; without a token it
 * installs nothing.
 */
public final class BearerTokenGate {

    /** Before every route Quarkus adds (its own security filters start near -200, gRPC's route after them). */
    public static final int ORDER = -10_000;

    private final byte[] expected;

    BearerTokenGate(String token) {
        this.expected = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    }

    /** Installs the gate on {@code router} when {@code token} is present; a blank token is refused by name. */
    public static boolean install(Router router, Optional<String> token) {
        if (token.isEmpty()) {
            return false;
        }
        String t = token.get().trim();
        if (t.length() < 16) {
            throw new IllegalArgumentException("qwm.auth.token (QWM_AUTH_TOKEN) must have at least 16 characters,"
                    + " it has " + t.length());
        }
        BearerTokenGate gate = new BearerTokenGate(t);
        router.route().order(ORDER).handler(gate::handle);
        return true;
    }

    /** Whether a request may pass: open paths, or the right token (compared in constant time). */
    boolean allows(String path, String authorization) {
        if (isOpen(path)) {
            return true;
        }
        return authorization != null
                && MessageDigest.isEqual(expected, authorization.trim().getBytes(StandardCharsets.UTF_8));
    }

    static boolean isOpen(String path) {
        return path != null && (path.equals("/q/health") || path.startsWith("/q/health/") || path.equals("/q/metrics"));
    }

    private void handle(RoutingContext ctx) {
        if (allows(ctx.normalizedPath(), ctx.request().getHeader(HttpHeaders.AUTHORIZATION))) {
            ctx.next();
            return;
        }
        ctx.response().setStatusCode(401)
                .putHeader("WWW-Authenticate", "Bearer")
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end("{\"error\":\"a bearer token is required: send Authorization: Bearer <the stack's token>"
                        + " (QWM_AUTH_TOKEN)\"}");
    }
}
