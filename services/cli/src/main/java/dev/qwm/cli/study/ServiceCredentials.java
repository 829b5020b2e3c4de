package dev.qwm.cli.study;

import dev.qwm.infra.StackTls;
import java.nio.file.Path;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * What the CLI shows a qwm service: the bearer token and the CA it trusts for HTTPS. From {@code QWM_AUTH_TOKEN} and
 * {@code QWM_TLS_CA} (a deployment's, e.g. Kubernetes'), else from the local stack's TLS folder when
 * {@code ./qwm services up --tls} made one; none at all for a plain local stack.
 */
public record ServiceCredentials(Optional<String> token, Optional<SSLContext> ssl) {

    public static final ServiceCredentials NONE = new ServiceCredentials(Optional.empty(), Optional.empty());

    /** The local stack's TLS folder: {@code $QWM_HOME/.qwm/tls}. */
    public static Path localDirectory() {
        return Path.of(System.getenv().getOrDefault("QWM_HOME", ".")).toAbsolutePath().normalize()
                .resolve(".qwm").resolve("tls");
    }

    /** The environment's credentials, else those of {@code localTls} if it holds a stack's. */
    public static ServiceCredentials resolve(Path localTls) {
        Optional<StackTls> local = StackTls.load(localTls);
        Optional<String> token = Optional.ofNullable(System.getenv("QWM_AUTH_TOKEN")).filter(t -> !t.isBlank())
                .map(String::trim).or(() -> local.map(StackTls::token));
        Optional<SSLContext> ssl = Optional.ofNullable(System.getenv("QWM_TLS_CA")).filter(t -> !t.isBlank())
                .map(ca -> StackTls.trusting(Path.of(ca))).or(() -> local.map(StackTls::sslContext));
        return new ServiceCredentials(token, ssl);
    }
}
