package dev.qwm.images;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The parts of an image configuration (OCI image-spec "config", same in docker-save) a deployment relies on. */
public record ImageConfig(
        String os,
        String architecture,
        String user,
        List<String> entrypoint,
        List<String> cmd,
        Set<String> exposedPorts,
        Map<String, String> env,
        String workingDir,
        Map<String, String> labels,
        List<String> diffIds) {

    static ImageConfig parse(JsonNode root) {
        JsonNode c = root.path("config");
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode e : c.path("Env")) {
            String s = e.asText();
            int eq = s.indexOf('=');
            env.put(eq < 0 ? s : s.substring(0, eq), eq < 0 ? "" : s.substring(eq + 1));
        }
        Set<String> ports = new LinkedHashSet<>();
        c.path("ExposedPorts").fieldNames().forEachRemaining(ports::add);
        Map<String, String> labels = new LinkedHashMap<>();
        c.path("Labels").fields().forEachRemaining(f -> labels.put(f.getKey(), f.getValue().asText()));
        return new ImageConfig(
                root.path("os").asText(),
                root.path("architecture").asText(),
                c.path("User").asText(""),
                strings(c.path("Entrypoint")),
                strings(c.path("Cmd")),
                Set.copyOf(ports),
                Map.copyOf(env),
                c.path("WorkingDir").asText(""),
                Map.copyOf(labels),
                strings(root.path("rootfs").path("diff_ids")));
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        for (JsonNode n : array) {
            out.add(n.asText());
        }
        return List.copyOf(out);
    }

    /** The numeric uid of {@link #user()} ("10001" or "10001:10001"), or -1 when it is a name or empty. */
    public long numericUid() {
        String uid = user.contains(":") ? user.substring(0, user.indexOf(':')) : user;
        return uid.matches("[0-9]+") ? Long.parseLong(uid) : -1;
    }
}
