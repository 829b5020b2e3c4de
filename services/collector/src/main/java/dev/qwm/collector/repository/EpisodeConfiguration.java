package dev.qwm.collector.repository;

import dev.qwm.api.common.v1.ArtifactRef;
import dev.qwm.api.common.v1.DataSplit;
import dev.qwm.api.common.v1.EnvironmentId;
import dev.qwm.api.common.v1.EpisodeSeeding;
import dev.qwm.api.common.v1.ModelComponent;
import dev.qwm.api.common.v1.PlannerBudget;
import dev.qwm.api.events.v1.EpisodeCompleted;
import dev.qwm.api.events.v1.EpisodeRequested;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;

/**
 * What an episode runs (environment, encoder, predictor, budget, seeding, configuration label): carried by both the
 * request and the completion, stored in the configuration columns of {@code episodes}. A message the event did not
 * set is stored as NULLs and read back unset.
 */
record EpisodeConfiguration(int environment, ArtifactRef encoder, ArtifactRef predictor, PlannerBudget budget,
                            EpisodeSeeding seeding, String configuration) {

    static final String COLUMNS = "environment, encoder_sha256, encoder_component, encoder_bundle, encoder_label,"
            + " predictor_sha256, predictor_component, predictor_bundle, predictor_label, configuration,"
            + " horizon, samples, top_k, var_scale, opt_steps, max_iter, objective_alpha, executed_actions,"
            + " seed, seed_base, seed_offset, data_split";
    static final int COLUMN_COUNT = 22;
    private static final int[] BUDGET_SQL_TYPES = {Types.INTEGER, Types.INTEGER, Types.INTEGER, Types.REAL,
            Types.INTEGER, Types.INTEGER, Types.REAL, Types.INTEGER};

    static EpisodeConfiguration of(EpisodeRequested e) {
        return new EpisodeConfiguration(e.getEnvironmentValue(), e.hasEncoder() ? e.getEncoder() : null,
                e.hasPredictor() ? e.getPredictor() : null, e.hasBudget() ? e.getBudget() : null,
                e.hasSeeding() ? e.getSeeding() : null, e.getConfiguration());
    }

    static EpisodeConfiguration of(EpisodeCompleted e) {
        return new EpisodeConfiguration(e.getEnvironmentValue(), e.hasEncoder() ? e.getEncoder() : null,
                e.hasPredictor() ? e.getPredictor() : null, e.hasBudget() ? e.getBudget() : null,
                e.hasSeeding() ? e.getSeeding() : null, e.getConfiguration());
    }

    /** Binds the {@link #COLUMNS} from parameter {@code first} on. */
    void bind(PreparedStatement ps, int first) throws SQLException {
        int i = first;
        ps.setString(i++, Jdbc.enumName(EnvironmentId.getDescriptor(), environment));
        i = bindRef(ps, i, encoder);
        i = bindRef(ps, i, predictor);
        ps.setString(i++, configuration);
        if (budget != null) {
            ps.setInt(i++, budget.getHorizon());
            ps.setInt(i++, budget.getSamples());
            ps.setInt(i++, budget.getTopK());
            ps.setFloat(i++, budget.getVarScale());
            ps.setInt(i++, budget.getOptSteps());
            ps.setInt(i++, budget.getMaxIter());
            ps.setFloat(i++, budget.getObjectiveAlpha());
            ps.setInt(i++, budget.getExecutedActions());
        } else {
            for (int sqlType : BUDGET_SQL_TYPES) {
                ps.setNull(i++, sqlType);
            }
        }
        if (seeding != null) {
            ps.setLong(i++, seeding.getSeed());
            ps.setLong(i++, seeding.getSeedBase());
            ps.setLong(i++, seeding.getSeedOffset());
            ps.setString(i++, Jdbc.enumName(DataSplit.getDescriptor(), seeding.getSplitValue()));
        } else {
            ps.setNull(i++, Types.BIGINT);
            ps.setNull(i++, Types.BIGINT);
            ps.setNull(i++, Types.BIGINT);
            ps.setNull(i++, Types.VARCHAR);
        }
        if (i - first != COLUMN_COUNT) {
            throw new IllegalStateException("bound " + (i - first) + " configuration columns, expected " + COLUMN_COUNT);
        }
    }

    private static int bindRef(PreparedStatement ps, int i, ArtifactRef ref) throws SQLException {
        if (ref == null) {
            for (int k = 0; k < 4; k++) {
                ps.setNull(i++, Types.VARCHAR);
            }
            return i;
        }
        ps.setString(i++, ref.getSha256());
        ps.setString(i++, Jdbc.enumName(ModelComponent.getDescriptor(), ref.getComponentValue()));
        ps.setString(i++, ref.getBundle());
        ps.setString(i++, ref.getLabel());
        return i;
    }

    /** Reads the configuration columns of the current row into a completion. */
    static void readInto(ResultSet rs, EpisodeCompleted.Builder b) throws SQLException {
        b.setEnvironmentValue(Jdbc.enumNumber(EnvironmentId.getDescriptor(), rs.getString("environment")));
        ArtifactRef encoder = readRef(rs, "encoder");
        if (encoder != null) {
            b.setEncoder(encoder);
        }
        ArtifactRef predictor = readRef(rs, "predictor");
        if (predictor != null) {
            b.setPredictor(predictor);
        }
        b.setConfiguration(Jdbc.textOrEmpty(rs, "configuration"));
        Integer horizon = Jdbc.nullableInt(rs, "horizon");
        if (horizon != null) {
            b.setBudget(PlannerBudget.newBuilder()
                    .setHorizon(horizon)
                    .setSamples(rs.getInt("samples"))
                    .setTopK(rs.getInt("top_k"))
                    .setVarScale(rs.getFloat("var_scale"))
                    .setOptSteps(rs.getInt("opt_steps"))
                    .setMaxIter(rs.getInt("max_iter"))
                    .setObjectiveAlpha(rs.getFloat("objective_alpha"))
                    .setExecutedActions(rs.getInt("executed_actions")));
        }
        if (rs.getString("data_split") != null) {
            b.setSeeding(EpisodeSeeding.newBuilder()
                    .setSeed(rs.getLong("seed"))
                    .setSeedBase(rs.getLong("seed_base"))
                    .setSeedOffset(rs.getLong("seed_offset"))
                    .setSplitValue(Jdbc.enumNumber(DataSplit.getDescriptor(), rs.getString("data_split"))));
        }
    }

    private static ArtifactRef readRef(ResultSet rs, String prefix) throws SQLException {
        String sha256 = rs.getString(prefix + "_sha256");
        if (sha256 == null) {
            return null;
        }
        return ArtifactRef.newBuilder()
                .setSha256(sha256)
                .setComponentValue(Jdbc.enumNumber(ModelComponent.getDescriptor(), rs.getString(prefix + "_component")))
                .setBundle(rs.getString(prefix + "_bundle"))
                .setLabel(rs.getString(prefix + "_label"))
                .build();
    }
}
