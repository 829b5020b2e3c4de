package dev.qwm.collector.repository;

/** Where a Kafka record was read: kept in processed_events to trace a stored event back to its record. */
public record RecordPosition(String topic, int partition, long offset) {
}
