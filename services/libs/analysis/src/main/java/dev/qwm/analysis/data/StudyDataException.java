package dev.qwm.analysis.data;

/** Study data could not be read: the source is unreachable, the study is unknown, or the data is malformed. */
public class StudyDataException extends RuntimeException {

    public StudyDataException(String message) {
        super(message);
    }

    public StudyDataException(String message, Throwable cause) {
        super(message, cause);
    }
}
