package dev.qwm.collector.repository;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;

/**
 * Applies an event's effect at most once per consumer, atomically with the record of having applied it: the ledger
 * row and the effect share one database transaction. Together with Kafka's at-least-once delivery (offsets are
 * committed only after this returns) every event takes effect exactly once.
 */
@ApplicationScoped
public class ExactlyOnceStore {

    private final ProcessedEventRepository processedEvents;

    public ExactlyOnceStore(ProcessedEventRepository processedEvents) {
        this.processedEvents = processedEvents;
    }

    /**
     * @return true when the effect was applied; false when this consumer had applied the event before (nothing done)
     */
    @Transactional
    public boolean applyOnce(String consumer, String eventId, RecordPosition at, Runnable effect) {
        if (!processedEvents.claim(consumer, eventId, at)) {
            return false;
        }
        effect.run();
        return true;
    }
}
