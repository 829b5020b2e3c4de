package dev.qwm.quantizer.job;

/** Every job slot is busy and the queue of waiting jobs is full; submit again later. */
public class QueueFullException extends RuntimeException {

    public QueueFullException(int queued) {
        super("the quantizer is busy: " + queued + " jobs are already waiting; submit again later");
    }
}
