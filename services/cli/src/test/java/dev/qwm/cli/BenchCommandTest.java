package dev.qwm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchCommandTest {

    @Tag("slow")
    @Test
    void fpAndW4BundlesSideBySideAsTableAndJson(@TempDir Path dir) throws Exception {
        Path fp = QuantizeCommandTest.randomWallBundle(dir.resolve("fp"));
        QuantizeCommandTest.run("quantize", "--bundle", fp.toString(), "--preset", "w4a16-g128", "--modules", "predictor",
                "--out", dir.resolve("w4").toString());
        String[] common = {"bench", "--bundle", fp.toString(), "--bundle", dir.resolve("w4").toString(), "--env", "wall",
                "--reps", "1", "--warmup", "0", "--samples", "12", "--horizon", "2", "--threads", "1"};
        String table = QuantizeCommandTest.run(common);
        assertTrue(table.contains("avx2"), table);
        assertTrue(table.contains("MatMulNBits"), table); // as such, or run as float MatMuls where faster here
        assertTrue(table.contains("random-wall-w4a16-g128"), table);
        assertTrue(table.contains("extrapolated linearly from 12 candidates"), table);

        String[] profiled = java.util.Arrays.copyOf(common, common.length + 2);
        profiled[common.length] = "--profile";
        profiled[common.length + 1] = "1";
        String profile = QuantizeCommandTest.run(profiled);
        assertTrue(profile.contains("where a CEM step goes"), profile);
        assertTrue(profile.contains("MatMulNBits"), profile);

        String[] withJson = java.util.Arrays.copyOf(common, common.length + 1);
        withJson[common.length] = "--json";
        JsonNode r = new ObjectMapper().readTree(QuantizeCommandTest.run(withJson));
        assertEquals(2, r.get("bundles").size());
        assertEquals(12, r.at("/settings/candidates").asInt());
        assertEquals(1, r.at("/bundles/1/timings").size());
        assertTrue(r.at("/bundles/1/components/1/weightRatio").asDouble() <= 0.2);
        assertEquals(r.at("/bundles/0/gflop").asDouble(), r.at("/bundles/1/gflop").asDouble(), 1e-12);
    }

    @Test
    void aBundleOfTheWrongEnvironmentIsRefused(@TempDir Path dir) {
        Path fp = QuantizeCommandTest.randomWallBundle(dir.resolve("fp"));
        StringWriter err = new StringWriter();
        var cli = QwmCommand.commandLine();
        cli.setErr(new PrintWriter(err));
        assertEquals(1, cli.execute("bench", "--bundle", fp.toString(), "--env", "pusht"));
        assertTrue(err.toString().contains("is a wall model"), err.toString());
    }
}
