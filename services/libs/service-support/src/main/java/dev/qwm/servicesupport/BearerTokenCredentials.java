package dev.qwm.servicesupport;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import java.util.Optional;

/**
 * What a service's gRPC clients send to another qwm service behind a {@link BearerTokenGate}: the stack's token in
 * the {@code authorization} metadata. Without a token it adds nothing. A service declares it as a global client
 * interceptor bean with the token from {@code qwm.auth.token}.
 */
public abstract class BearerTokenCredentials implements ClientInterceptor {

    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final String header;

    protected BearerTokenCredentials(Optional<String> token) {
        this.header = token.map(String::trim).filter(t -> !t.isEmpty()).map(t -> "Bearer " + t).orElse(null);
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        ClientCall<Q, R> call = next.newCall(method, options);
        if (header == null) {
            return call;
        }
        return new ForwardingClientCall.SimpleForwardingClientCall<>(call) {
            @Override
            public void start(Listener<R> listener, Metadata headers) {
                headers.put(AUTHORIZATION, header);
                super.start(listener, headers);
            }
        };
    }
}
