package dev.qwm.onnx.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The CPU a process runs on: its model name and the x86 vector features that decide which ONNX Runtime kernels are
 * fast and exact, read from /proc/cpuinfo ({@link #current()}), or given ({@link #AVX2}, {@link #AVX512_VNNI}, or any
 * set of flags) so that what depends on the CPU can be tested for another one. A CPU may change how fast a quantized
 * model runs and which kernel variant computes it, never what it computes: the recipe alone fixes the numbers.
 * Without VNNI, ORT's u8×s8 GEMM multiplies with vpmaddubsw, whose 16-bit pair sums saturate (255·127·2 > 32767),
 * which is why full-range int8 weights are stored u8 (code + 128) there.
 */
public record CpuFeatures(String model, Set<String> flags) {

    public static final List<String> REPORTED = List.of("avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
            "avx_vnni", "avx512_bf16", "amx_int8");

    /** An AVX2 CPU without AVX-512 or VNNI (e.g. AMD EPYC Zen 2). */
    public static final CpuFeatures AVX2 = new CpuFeatures("AVX2 profile (no AVX-512, no VNNI)", Set.of("avx2", "fma"));

    /** An AVX-512 CPU with VNNI (e.g. Intel Xeon since Cascade Lake). */
    public static final CpuFeatures AVX512_VNNI = new CpuFeatures("AVX-512 VNNI profile",
            Set.of("avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni"));

    private static volatile CpuFeatures current;

    public CpuFeatures {
        flags = Set.copyOf(flags);
    }

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
        return new CpuFeatures(model, flags);
    }

    public boolean has(String flag) {
        return flags.contains(flag);
    }

    /** u8×s8 dot products without 16-bit intermediate saturation (AVX-512 VNNI or AVX-VNNI). */
    public boolean hasVnni() {
        return has("avx512_vnni") || has("avx_vnni");
    }

    /**
     * The class of vector unit ORT's kernels dispatch on: {@code avx512-vnni}, {@code avx-vnni}, {@code avx512},
     * {@code avx2}, or {@code baseline}. Cells of one study that ran on different classes ran different kernels.
     */
    public String cpuClass() {
        if (has("avx512_vnni")) {
            return "avx512-vnni";
        }
        if (has("avx_vnni")) {
            return "avx-vnni";
        }
        if (has("avx512f")) {
            return "avx512";
        }
        if (has("avx2")) {
            return "avx2";
        }
        return "baseline";
    }

    /** "avx2+ fma+ avx512f- ..." : each reported feature with + or −. */
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
