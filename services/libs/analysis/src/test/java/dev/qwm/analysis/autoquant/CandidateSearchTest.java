package dev.qwm.analysis.autoquant;

import dev.qwm.analysis.sensitivity.LayerSensitivity;
import dev.qwm.quant.recipe.RecipeIo;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CandidateSearchTest {

    private static final int[][] FORMATS = {{8, 0}, {6, 0}, {4, 0}, {4, 128}, {4, 32}, {3, 0}, {3, 32}};

    /** Layers of two modules measured at every format and two methods, SQNR ~6 dB per bit with per-layer noise. */
    private static List<LayerSensitivity> measured(Random r, int layersPerModule) {
        List<LayerSensitivity> out = new ArrayList<>();
        for (String module : List.of("encoder", "predictor")) {
            for (int i = 0; i < layersPerModule; i++) {
                int in = 64 << r.nextInt(3);
                int outF = 64 << r.nextInt(3);
                double base = 5 + 10 * r.nextDouble();
                for (String method : List.of("rtn", "omse")) {
                    for (int[] f : FORMATS) {
                        double sqnr = base + 6.02 * f[0] + (f[1] == 0 ? 0 : f[1] == 128 ? 1.5 : 3)
                                + (method.equals("omse") ? r.nextDouble() : 0);
                        long groups = f[1] == 0 ? 1 : (in + f[1] - 1) / f[1];
                        long bytes = (long) in * outF * (f[0] == 3 ? 4 : f[0] == 6 ? 8 : f[0]) / 8 + 4L * outF * groups;
                        String name = module.equals("encoder") && i == 0 ? "patch_embed/MatMul" : "block" + i + "/MatMul";
                        out.add(new LayerSensitivity(module, name, in, outF, method, f[0], f[1],
                                "A16", 1e-3, sqnr, bytes));
                    }
                }
            }
        }
        return out;
    }

    @Test
    void everyCandidateFitsTheBudgetWhateverTheLayersAndTheLimit() {
        Random r = new Random(42);
        for (int trial = 0; trial < 30; trial++) {
            List<LayerSensitivity> layers = measured(r, 1 + r.nextInt(5));
            long other = r.nextInt(20_000);
            long all8 = other + layers.stream().filter(l -> l.weightBits() == 8 && l.method().equals("rtn"))
                    .mapToLong(LayerSensitivity::weightBytes).sum();
            long limit = (long) (all8 * (0.15 + 0.9 * r.nextDouble()));
            List<CandidateSearch.Candidate> cs;
            try {
                cs = CandidateSearch.candidates(layers, other, limit);
            } catch (IllegalArgumentException e) {
                throw new AssertionError("trial " + trial, e);
            }
            Set<Object> assignments = new HashSet<>();
            double previous = -1;
            for (CandidateSearch.Candidate c : cs) {
                assertTrue(c.bytes() <= limit, "trial " + trial + ": " + c.name() + " has " + c.bytes() + " > " + limit);
                // the predicted bytes are the layers' measured bytes at the assigned formats, plus the others
                long sum = other;
                for (var e : c.layers().entrySet()) {
                    String[] f = e.getValue().split(" ");
                    sum += layers.stream().filter(l -> (l.module() + "/" + l.layer()).equals(e.getKey())
                                    && l.method().equals(f[0]) && l.weightFormat().equals(f[1]))
                            .findFirst().orElseThrow().weightBytes();
                }
                assertEquals(sum, c.bytes(), c.name());
                assertTrue(assignments.add(c.layers()), "no two candidates compute the same: " + c.name());
                assertTrue(c.noise() >= previous, "ranked by predicted noise");
                previous = c.noise();
                assertEquals(c.recipe(), RecipeIo.fromYaml(c.yaml()), "the recipe reads back as it is");
                // what the recipe quantizes is what was priced: the encoder's patch embedding too, never float
                var encoder = c.recipe().modules().get(dev.qwm.quant.recipe.WorldModelModule.ENCODER);
                assertTrue(encoder.layers().stream().anyMatch(l -> l.match().equals("patch_embed/MatMul")
                        && Boolean.FALSE.equals(l.skip())), c.name() + ": " + encoder.layers());
            }
        }
    }

    @Test
    void aLimitAboveTheUniformFormatsMixesThemAndTheBestIsFirst() {
        List<LayerSensitivity> layers = measured(new Random(1), 4);
        long w4 = layers.stream().filter(l -> l.weightFormat().equals("W4") && l.method().equals("rtn"))
                .mapToLong(LayerSensitivity::weightBytes).sum();
        List<CandidateSearch.Candidate> cs = CandidateSearch.candidates(layers, 0, w4 + w4 / 3);
        assertTrue(cs.stream().anyMatch(c -> c.name().equals("rtn-w4-a16")), "uniform W4 RTN fits");
        assertTrue(cs.stream().anyMatch(c -> c.name().contains("+")), "and mixed allocations above it");
        assertFalse(cs.stream().anyMatch(c -> c.name().startsWith("rtn-w8")), "W8 does not fit");
        assertTrue(cs.get(0).noise() < cs.stream().filter(c -> c.name().equals("rtn-w4-a16")).findFirst().orElseThrow()
                .noise());
    }

    @Test
    void nothingFitsBelowTheSmallestFormatAndAFormatMissingALayerIsRefused() {
        List<LayerSensitivity> layers = measured(new Random(2), 2);
        assertTrue(CandidateSearch.candidates(layers, 0, 10).isEmpty());
        List<LayerSensitivity> partial = new ArrayList<>(layers);
        partial.remove(0);
        var e = assertThrows(IllegalArgumentException.class, () -> CandidateSearch.candidates(partial, 0, Long.MAX_VALUE));
        assertTrue(e.getMessage().contains("every format must be measured on every layer"), e.getMessage());
    }
}
