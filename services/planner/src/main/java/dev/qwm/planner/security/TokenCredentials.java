package dev.qwm.planner.security;

import dev.qwm.servicesupport.BearerTokenCredentials;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.inject.Singleton;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Every gRPC call this service makes carries the stack's token of {@code qwm.auth.token}, when it has one. */
@GlobalInterceptor
@Singleton
public class TokenCredentials extends BearerTokenCredentials {

    public TokenCredentials(@ConfigProperty(name = "qwm.auth.token") Optional<String> token) {
        super(token);
    }
}
