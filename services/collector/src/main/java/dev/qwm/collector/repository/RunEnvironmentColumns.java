package dev.qwm.collector.repository;

import dev.qwm.api.common.v1.RunEnvironment;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;

/**
 * The six columns that hold one {@link RunEnvironment} under a prefix ({@code ran_on_} for the predictor service,
 * {@code encoder_ran_on_} for the encoder service): all null when the event did not carry it.
 */
final class RunEnvironmentColumns {

    static final int COUNT = 6;
    private static final String[] NAMES = {"cpu_model", "cpu_class", "cpu_features", "onnx_runtime",
            "execution_provider", "threads"};

    private RunEnvironmentColumns() {
    }

    /** "p_cpu_model, p_cpu_class, ..." */
    static String columns(String prefix) {
        StringBuilder sb = new StringBuilder();
        for (String n : NAMES) {
            sb.append(sb.isEmpty() ? "" : ", ").append(prefix).append(n);
        }
        return sb.toString();
    }

    /** Binds {@code r} (or nulls) from parameter {@code i}; returns the next parameter index. */
    static int bind(PreparedStatement ps, int i, RunEnvironment r) throws SQLException {
        ps.setString(i++, r == null ? null : r.getCpuModel());
        ps.setString(i++, r == null ? null : r.getCpuClass());
        ps.setString(i++, r == null ? null : r.getCpuFeatures());
        ps.setString(i++, r == null ? null : r.getOnnxRuntime());
        ps.setString(i++, r == null ? null : r.getExecutionProvider());
        if (r == null) {
            ps.setNull(i++, Types.INTEGER);
        } else {
            ps.setInt(i++, r.getThreads());
        }
        return i;
    }

    /** The environment stored under {@code prefix}, or null if none was. */
    static RunEnvironment read(ResultSet rs, String prefix) throws SQLException {
        if (rs.getString(prefix + "cpu_class") == null) {
            return null;
        }
        return RunEnvironment.newBuilder().setCpuModel(rs.getString(prefix + "cpu_model"))
                .setCpuClass(rs.getString(prefix + "cpu_class")).setCpuFeatures(rs.getString(prefix + "cpu_features"))
                .setOnnxRuntime(rs.getString(prefix + "onnx_runtime"))
                .setExecutionProvider(rs.getString(prefix + "execution_provider"))
                .setThreads(rs.getInt(prefix + "threads")).build();
    }
}
