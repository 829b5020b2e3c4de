package dev.qwm.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.cli.study.ServiceClient;
import dev.qwm.cli.study.ServiceCredentials;
import dev.qwm.infra.EmbeddedInfrastructure;
import dev.qwm.infra.LocalServices;
import dev.qwm.infra.ServiceSpec;
import dev.qwm.infra.StackTls;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The five services as processes, as {@code ./qwm services up --tls} starts them: HTTPS and gRPC over TLS only, with
 * the stack's own CA and token. Over real HTTP and real gRPC (grpc-java's Netty client, as the services' own clients),
 * a request without the token, with a wrong one, or from a client that does not trust the CA is refused, and the same
 * request with them is served. The services' own calls (predictor to encoder, planner to predictor) go over TLS with
 * the token: both are ready only if those calls are answered.
 */
class ServiceSecurityIT {

    private static final Path ROOT = Path.of(System.getProperty("qwm.root", "../..")).toAbsolutePath().normalize();
    private static final Path BUNDLE = ROOT.resolve("models/wall");

    @TempDir
    Path home;

    @Test
    void withoutTheTokenOrTheCaNothingIsServedAndWithThemEverythingIs() throws Exception {
        StackTls tls = StackTls.createOrLoad(home.resolve("tls"));
        assertEquals(tls.token(), StackTls.createOrLoad(home.resolve("tls")).token(), "made once, then kept");
        try (EmbeddedInfrastructure infra = EmbeddedInfrastructure.start()) {
            LocalServices services = new LocalServices(ROOT, home);
            LocalServices.StackPorts ports = LocalServices.StackPorts.free(1);
            List<ServiceSpec> specs = LocalServices.withTls(LocalServices.stack(infra.bootstrapServers(),
                    infra.jdbcUrl(), home.resolve("artifacts"), List.of(BUNDLE), home.resolve("pusht"), 1, ports), tls);
            try {
                // ready means: the predictor listed the encoder's artifacts and the planner closed a predictor
                // session, both over TLS with the token (a refused token keeps either from being ready)
                services.up(specs, tls, Duration.ofMinutes(4), System.out::println);

                HttpClient trusting = HttpClient.newBuilder().sslContext(tls.sslContext())
                        .connectTimeout(Duration.ofSeconds(5)).build();
                String collector = "https://127.0.0.1:" + ports.collector();
                String quantizer = "https://127.0.0.1:" + ports.quantizer();
                String planner = "https://127.0.0.1:" + ports.planner();

                // HTTP: the API needs the token; the probes and metrics do not (Kubernetes and Prometheus)
                assertEquals(401, get(trusting, collector + "/api/v1/studies/no-such-study", null).statusCode());
                assertEquals(401, get(trusting, collector + "/api/v1/studies/no-such-study", "Bearer wrong-token-0123456789")
                        .statusCode());
                HttpResponse<String> refused = get(trusting, quantizer + "/api/v1/quantizations/no-such-job", null);
                assertEquals(401, refused.statusCode());
                assertTrue(refused.body().contains("bearer token"), refused.body());
                assertEquals(401, post(trusting, planner + "/api/v1/studies", "{}", null).statusCode());
                assertEquals(404, get(trusting, collector + "/api/v1/studies/no-such-study", "Bearer " + tls.token())
                        .statusCode());
                assertEquals(404, get(trusting, quantizer + "/api/v1/quantizations/no-such-job", "Bearer " + tls.token())
                        .statusCode());
                HttpResponse<String> invalid = post(trusting, planner + "/api/v1/studies", "{}", "Bearer " + tls.token());
                assertEquals(400, invalid.statusCode(), invalid.body());
                assertEquals(200, get(trusting, collector + "/q/health/ready", null).statusCode());
                assertEquals(200, get(trusting, collector + "/q/metrics", null).statusCode());

                // no plain-text listener, and a client that does not trust the stack's CA gets no answer at all
                assertThrows(IOException.class, () -> get(HttpClient.newHttpClient(),
                        "http://127.0.0.1:" + ports.collector() + "/q/health/ready", null));
                assertThrows(SSLException.class, () -> get(HttpClient.newHttpClient(), collector + "/q/health/ready", null));

                // the CLI's own client: the credentials of the local stack's folder
                ServiceClient cli = new ServiceClient("collector", collector,
                        ServiceCredentials.resolve(tls.directory()));
                assertTrue(cli.find("/api/v1/studies/no-such-study").isEmpty());
                IllegalArgumentException noToken = assertThrows(IllegalArgumentException.class,
                        () -> new ServiceClient("collector", collector,
                                new ServiceCredentials(Optional.empty(), Optional.of(tls.sslContext())))
                                .get("/api/v1/studies/no-such-study"));
                assertTrue(noToken.getMessage().contains("QWM_AUTH_TOKEN"), noToken.getMessage());

                // gRPC, on each service's port
                SslContext grpcTls = GrpcSslContexts.forClient().trustManager(tls.caCertificate().toFile()).build();
                byte[] none = new byte[0];
                byte[] closeSession = string(1, "no-such-session");
                byte[] noSuchJob = string(1, "no-such-job");
                for (Call call : List.of(
                        new Call(ports.encoder(), "qwm.encoder.v1.EncoderService/ListLoaded", none, Status.Code.OK),
                        new Call(ports.predictor(), "qwm.predictor.v1.PredictorService/CloseSession", closeSession,
                                Status.Code.OK),
                        new Call(ports.collector(), "qwm.collector.v1.CollectorService/ListStudies", none, Status.Code.OK),
                        new Call(ports.quantizer(), "qwm.quantizer.v1.QuantizerService/GetQuantizationJob", noSuchJob,
                                Status.Code.NOT_FOUND))) {
                    assertEquals(Status.Code.UNAUTHENTICATED, call.send(grpcTls, null), call.method + " without a token");
                    assertEquals(Status.Code.UNAUTHENTICATED, call.send(grpcTls, "Bearer wrong-token-0123456789"),
                            call.method + " with a wrong token");
                    assertEquals(call.expected, call.send(grpcTls, "Bearer " + tls.token()), call.method + " with it");
                    SslContext jdkTrust = GrpcSslContexts.forClient().build();
                    assertEquals(Status.Code.UNAVAILABLE, call.send(jdkTrust, "Bearer " + tls.token()),
                            call.method + " from a client that does not trust the stack's CA");
                }
                byte[] listed = new Call(ports.encoder(), "qwm.encoder.v1.EncoderService/ListLoaded", none,
                        Status.Code.OK).answer(grpcTls, "Bearer " + tls.token());
                assertTrue(new String(listed, StandardCharsets.ISO_8859_1).contains("wall"),
                        "the encoder lists the shipped Wall bundle it loaded");
                assertTrue(Files.readString(services.logFile("encoder")).contains("requests need the bearer token"));
            } finally {
                services.down(List.of(), System.out::println);
            }
        }
    }

    /** One unary gRPC call with raw protobuf bytes (the services' stubs are theirs; the wire is the contract). */
    private record Call(int port, String method, byte[] request, Status.Code expected) {

        Status.Code send(SslContext ssl, String authorization) {
            try {
                answer(ssl, authorization);
                return Status.Code.OK;
            } catch (StatusRuntimeException e) {
                return e.getStatus().getCode();
            }
        }

        byte[] answer(SslContext ssl, String authorization) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).sslContext(ssl).build();
            try {
                Metadata headers = new Metadata();
                if (authorization != null) {
                    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), authorization);
                }
                MethodDescriptor<byte[], byte[]> descriptor = RawGrpc.unary(method);
                return ClientCalls.blockingUnaryCall(
                        io.grpc.ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers)),
                        descriptor, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), request);
            } finally {
                channel.shutdownNow();
            }
        }
    }

    /** A protobuf message with one string field (ASCII, shorter than 128 bytes). */
    private static byte[] string(int field, String value) {
        byte[] v = value.getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[2 + v.length];
        out[0] = (byte) (field << 3 | 2);
        out[1] = (byte) v.length;
        System.arraycopy(v, 0, out, 2, v.length);
        return out;
    }

    private static HttpResponse<String> get(HttpClient http, String url, String authorization)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(HttpClient http, String url, String body, String authorization)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
