package dev.qwm.quantizer.security;

import dev.qwm.servicesupport.BearerTokenGate;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/** With {@code qwm.auth.token} set, every HTTP and gRPC request but the probes and metrics needs that bearer token. */
@ApplicationScoped
public class TokenGate {

    void install(@Observes Router router, @ConfigProperty(name = "qwm.auth.token") Optional<String> token) {
        if (BearerTokenGate.install(router, token)) {
            Logger.getLogger(TokenGate.class).info("requests need the bearer token of qwm.auth.token");
        }
    }
}
