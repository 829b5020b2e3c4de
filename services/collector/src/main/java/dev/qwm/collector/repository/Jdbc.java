package dev.qwm.collector.repository;

import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/** Conversions between protobuf field values and SQL columns that every repository shares. */
final class Jdbc {

    private Jdbc() {
    }

    /** A unix time in ms as timestamptz; 0 (proto3's "not set") becomes NULL. */
    static void setUnixMs(PreparedStatement ps, int index, long unixMs) throws SQLException {
        if (unixMs == 0) {
            ps.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
        } else {
            ps.setObject(index, OffsetDateTime.ofInstant(Instant.ofEpochMilli(unixMs), ZoneOffset.UTC));
        }
    }

    /** The inverse of {@link #setUnixMs}: NULL reads as 0. */
    static long unixMs(ResultSet rs, String column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? 0 : t.toInstant().toEpochMilli();
    }

    /** Blank text (proto3's "not set") becomes NULL. */
    static void setTextOrNull(PreparedStatement ps, int index, String text) throws SQLException {
        if (text == null || text.isEmpty()) {
            ps.setNull(index, Types.VARCHAR);
        } else {
            ps.setString(index, text);
        }
    }

    static String textOrEmpty(ResultSet rs, String column) throws SQLException {
        String s = rs.getString(column);
        return s == null ? "" : s;
    }

    /**
     * An enum stored by its value name (readable in SQL); a number this build does not know (sent by a newer
     * producer) is stored as the number itself, so nothing is lost.
     */
    static String enumName(EnumDescriptor type, int number) {
        EnumValueDescriptor value = type.findValueByNumber(number);
        return value != null ? value.getName() : Integer.toString(number);
    }

    static int enumNumber(EnumDescriptor type, String name) {
        if (name == null) {
            return 0;
        }
        EnumValueDescriptor value = type.findValueByName(name);
        return value != null ? value.getNumber() : Integer.parseInt(name);
    }

    static Integer nullableInt(ResultSet rs, String column) throws SQLException {
        int v = rs.getInt(column);
        return rs.wasNull() ? null : v;
    }
}
