package dev.qwm.quantizer.job;

/** No job with this id is known here, and the artifact store holds no bundle of that name. */
public class UnknownJobException extends RuntimeException {

    public UnknownJobException(String id) {
        super("no quantization job '" + id + "'");
    }
}
