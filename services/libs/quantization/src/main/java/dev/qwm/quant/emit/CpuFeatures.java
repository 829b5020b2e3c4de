package dev.qwm.quant.emit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The x86 vector features that decide which ONNX Runtime integer kernels are fast and exact here, read from
 * /proc/cpuinfo. Without VNNI, ORT's u8×s8 GEMM multiplies with vpmaddubsw, whose 16-bit pair sums saturate
 * (255·127·2 > 32767), so full-range int8 weights against uint8 activations give wrong results; and its
 * accuracy_level 4 MatMulNBits path is no faster than the float one.
 */
public record CpuFeatures(String model, Set<String> flags) {

    public static final List<String> REPORTED = List.of("avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
            "avx_vnni", "avx512_bf16", "amx_int8");

    private static volatile CpuFeatures current;

    public static CpuFeatures current() {
        CpuFeatures c = current;
        if (c == null) {
            c = read(Path.of("/proc/cpuinfo"));
            current = c;
        }
        return c;
    }

    static CpuFeatures read(Path cpuinfo) {
        String model = System.getProperty("os.arch");
        Set<String> flags = new TreeSet<>();
        try {
            for (String line : Files.readAllLines(cpuinfo)) {
                if (line.startsWith("model name") && line.contains(":")) {
                    model = line.substring(line.indexOf(':') + 1).trim();
                } else if (line.startsWith("flags") && line.contains(":") && flags.isEmpty()) {
                    for (String f : line.substring(line.indexOf(':') + 1).trim().split("\\s+")) {
                        flags.add(f);
                    }
                }
            }
        } catch (IOException e) {
            // not Linux: no flags known, which selects the portable (exact everywhere) kernels
        }
        return new CpuFeatures(model, Set.copyOf(flags));
    }

    public boolean has(String flag) {
        return flags.contains(flag);
    }

    /** u8×s8 dot products without 16-bit intermediate saturation (AVX-512 VNNI or AVX-VNNI). */
    public boolean hasVnni() {
        return has("avx512_vnni") || has("avx_vnni");
    }

    /** "avx2 fma avx512f- ..." : each reported feature with + or −. */
    public String summary() {
        StringBuilder b = new StringBuilder();
        for (String f : REPORTED) {
            if (b.length() > 0) {
                b.append(' ');
            }
            b.append(f).append(has(f) ? "+" : "-");
        }
        return b.toString();
    }
}
