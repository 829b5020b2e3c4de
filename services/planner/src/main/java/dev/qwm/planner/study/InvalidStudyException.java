package dev.qwm.planner.study;

/** A study the planner refuses; the message names the first problem found. */
public class InvalidStudyException extends IllegalArgumentException {

    public InvalidStudyException(String message) {
        super(message);
    }
}
