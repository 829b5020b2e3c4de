package dev.qwm.collector.rest;

import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.ext.MessageBodyWriter;
import jakarta.ws.rs.ext.Provider;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;

/**
 * Writes protobuf messages as their canonical proto3 JSON (lowerCamelCase fields, int64 as strings, enums by name),
 * so the HTTP API returns exactly the messages of the gRPC API. Fields at their default value are printed too: a
 * client sees {@code "success": false} rather than a missing key.
 */
@Provider
@Produces(MediaType.APPLICATION_JSON)
public class ProtobufJsonWriter implements MessageBodyWriter<Message> {

    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().alwaysPrintFieldsWithNoPresence();

    @Override
    public boolean isWriteable(Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType) {
        return Message.class.isAssignableFrom(type);
    }

    @Override
    public void writeTo(Message message, Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType,
                        MultivaluedMap<String, Object> httpHeaders, OutputStream out) throws IOException {
        try {
            out.write(PRINTER.print(message).getBytes(StandardCharsets.UTF_8));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new WebApplicationException("cannot print " + type.getSimpleName() + " as JSON: " + e.getMessage(), e);
        }
    }
}
