package dev.qwm.cli.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qwm.planning.DataSplit;
import dev.qwm.planning.PlannerBudget;
import dev.qwm.planning.eval.EvaluationReport;
import dev.qwm.planning.eval.EvaluationSettings;
import dev.qwm.planning.mpc.EpisodeResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EvalSummaryTest {

    static final PlannerBudget BUDGET = PlannerBudget.dinoWm("wall");

    static EpisodeResult episode(int index, boolean success, double loss, int cemSteps) {
        return new EpisodeResult(index, 99L * index + 2, DataSplit.TRAIN, "simulator", "wall", "m", "cem", BUDGET, 0,
                success, success ? 1 : -1, 2.0, loss, 3, 15, 100, 4.0, 3.5, cemSteps, List.of(), List.of());
    }

    static EvaluationReport report(List<EpisodeResult> results, int planned) {
        return EvaluationReport.of("wall", "m", "cem", BUDGET, new EvaluationSettings(results.size(), 99, 2,
                DataSplit.TRAIN, 7, true, 1), results, 60_000, planned);
    }

    @Test
    void theSummaryHasSnakeCaseKeysInAFixedOrderAndNullForWhatDoesNotExist() throws Exception {
        ObjectMapper json = new ObjectMapper();
        JsonNode o = json.valueToTree(EvalSummary.of(report(List.of(episode(0, true, 0.5, 10),
                episode(1, false, 1.5, 10)), 2)));
        List<String> keys = new ArrayList<>();
        o.fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("environment", "model", "planner", "episodes", "successes", "success_rate", "ci95_low",
                "ci95_high", "mean_final_state_distance", "mean_plan_loss", "ms_per_cem_step", "cpu_ms_per_cem_step",
                "cem_steps", "mean_mpc_iterations", "episodes_per_minute", "wall_time_ms", "budget", "seeding"), keys);
        assertEquals(0.5, o.get("success_rate").asDouble());
        assertEquals(1.0, o.get("mean_plan_loss").asDouble());
        assertEquals(2.0, o.get("episodes_per_minute").asDouble(), 1e-12);
        assertEquals(30, o.get("budget").get("top_k").asInt());
        assertEquals(BUDGET.executedActions(), o.get("budget").get("executed_actions").asInt());
        assertEquals("train", o.get("seeding").get("split").asText());
        assertEquals(7, o.get("seeding").get("planner_seed").asLong());

        JsonNode none = json.valueToTree(EvalSummary.of(report(List.of(episode(0, false, Double.NaN, 0)), 0)));
        assertTrue(none.get("mean_plan_loss").isNull(), "random actions have no plan loss");
        assertTrue(none.get("ms_per_cem_step").isNull());
        assertTrue(none.get("episodes_per_minute").isNull(), "nothing planned in this run");
    }

    @Test
    void theTableSaysNotApplicableWhereTheSummaryHasNull() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        EvalTable.print(report(List.of(episode(0, false, Double.NaN, 0)), 0), new PrintStream(out, true, StandardCharsets.UTF_8));
        String table = out.toString(StandardCharsets.UTF_8);
        assertTrue(table.contains("episodes 1 on wall, seeds 99n+2 (train split)"), table);
        assertTrue(table.contains("n/a (no CEM)"), table);
        assertTrue(table.contains("n/a (none planned in this run)"), table);
        assertTrue(EvalTable.describe(BUDGET, true).startsWith("random actions"));
    }
}
