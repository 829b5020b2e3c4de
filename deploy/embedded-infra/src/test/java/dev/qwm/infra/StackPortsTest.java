package dev.qwm.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class StackPortsTest {

    @Test
    void theFixedLayoutPutsPlannerWorkersTenPortsApart() {
        LocalServices.StackPorts ports = LocalServices.StackPorts.DEFAULT;
        assertEquals(8084, ports.planner(1));
        assertEquals(8094, ports.planner(2));
        assertEquals(8104, ports.planner(3));
        assertThrows(IllegalArgumentException.class, () -> ports.planner(0));
    }

    @Test
    void freePortsGiveEveryPlannerWorkerItsOwnPortOnEveryCall() {
        LocalServices.StackPorts ports = LocalServices.StackPorts.free(2);
        assertEquals(ports.planner(2), ports.planner(2), "the same worker, the same port");
        assertEquals(ports.planner(), ports.planner(1));
        Set<Integer> all = new HashSet<>(List.of(ports.quantizer(), ports.encoder(), ports.predictor(),
                ports.collector(), ports.planner(1), ports.planner(2)));
        assertEquals(6, all.size(), "distinct ports: " + all);
    }
}
