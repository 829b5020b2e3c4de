package dev.qwm.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qwm.infra.ServiceProcess;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The encoder's one message limit, over real gRPC to the packaged service: an Encode request just under it is read
 * whole and answered by the service itself (here: its encoder reference is missing), one just over it and one far over
 * it are refused with RESOURCE_EXHAUSTED, not a connection reset. Prints how long each took to be answered.
 */
class EncoderMessageLimitIT {

    /** quarkus.grpc.server.max-inbound-message-size of the encoder. */
    static final int LIMIT = Integer.getInteger("qwm.it.encoder-limit-mib", 16) << 20;

    @Test
    void requestsUpToTheLimitAreReadAndLargerOnesAreRefusedWithResourceExhausted() {
        try (ServiceProcess encoder = ServiceProcess.packaged("encoder", "message-limit", Map.of(), Map.of(),
                Duration.ofMinutes(2))) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", encoder.port()).usePlaintext()
                    .maxInboundMessageSize(1 << 20).build();
            try {
                for (long size : sizes()) {
                    long start = System.nanoTime();
                    Status.Code code = encode(channel, (int) size);
                    System.out.printf(Locale.ROOT, "encoder message limit %d MiB: a %.2f MiB Encode answered %s in"
                            + " %d ms%n", LIMIT >> 20, size / 1048576.0, code, (System.nanoTime() - start) / 1_000_000);
                    if (size <= LIMIT) {
                        assertTrue(code == Status.Code.INVALID_ARGUMENT || code == Status.Code.NOT_FOUND,
                                "a " + size + "-byte request within the limit was not read whole: " + code);
                    } else {
                        assertEquals(Status.Code.RESOURCE_EXHAUSTED, code, "a " + size + "-byte request");
                    }
                }
            } finally {
                channel.shutdownNow();
            }
        }
    }

    private static List<Long> sizes() {
        String custom = System.getProperty("qwm.it.encoder-sizes-mib");
        if (custom != null) {
            return java.util.Arrays.stream(custom.split(",")).map(s -> (long) (Double.parseDouble(s) * 1048576))
                    .toList();
        }
        return List.of(1L << 20, LIMIT - (64L << 10), LIMIT + (1L << 20), 100L << 20);
    }

    /** An Encode whose images are {@code size} bytes of message in all, without an encoder reference. */
    private static Status.Code encode(ManagedChannel channel, int size) {
        int payload = size - 16; // tags and lengths of the two nested fields
        ByteArrayOutputStream tensor = new ByteArrayOutputStream();
        tensor.write(3 << 3 | 2);
        varint(tensor, payload);
        tensor.writeBytes(new byte[payload]);
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.write(2 << 3 | 2);
        varint(request, tensor.size());
        request.writeBytes(tensor.toByteArray());
        MethodDescriptor<byte[], byte[]> encode = RawGrpc.unary("qwm.encoder.v1.EncoderService/Encode");
        try {
            ClientCalls.blockingUnaryCall(channel, encode, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.MINUTES),
                    request.toByteArray());
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }

    private static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

}
