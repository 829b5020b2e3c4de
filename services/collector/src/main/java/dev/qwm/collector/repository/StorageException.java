package dev.qwm.collector.repository;

import java.sql.SQLException;

/** A database call failed; the cause is the driver's {@link SQLException}. */
public class StorageException extends RuntimeException {

    public StorageException(String what, SQLException cause) {
        super(what + ": " + cause.getMessage(), cause);
    }
}
