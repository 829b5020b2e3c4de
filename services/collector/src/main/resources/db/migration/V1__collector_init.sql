-- The collector's tables. Every row is keyed by the natural key of what it describes, so a redelivered event or a
-- redone episode cannot add a second row. No foreign keys between them: events arrive on different topics in any
-- order (a completion may be stored before its request or its study), and each row must be storable on its own.

-- Exactly-once ledger: one row per (consumer, event id), inserted in the same transaction as the event's effect.
CREATE TABLE processed_events (
    consumer      text        NOT NULL,
    event_id      text        NOT NULL,
    topic         text        NOT NULL,
    kafka_partition integer   NOT NULL,
    kafka_offset  bigint      NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- qwm.studies.study-submitted.v1. JSON columns hold the text exactly as the event carried it (the collector checks
-- that it parses), so the API returns it unchanged; query inside with spec_json::jsonb. A zero timestamp is NULL.
CREATE TABLE studies (
    study_id      text        PRIMARY KEY,
    name          text        NOT NULL,
    spec_json     text        NOT NULL,
    episode_count integer     NOT NULL CHECK (episode_count >= 0),
    submitted_at  timestamptz,
    event_id      text        NOT NULL,
    stored_at     timestamptz NOT NULL DEFAULT now()
);

-- qwm.quantizer.artifact-created.v1; an artifact is named by the sha256 of its ONNX file.
CREATE TABLE artifacts (
    sha256           text        PRIMARY KEY,
    component        text        NOT NULL,
    bundle           text        NOT NULL,
    label            text        NOT NULL,
    source_sha256    text,
    source_component text,
    source_bundle    text,
    source_label     text,
    recipe_json      text,
    manifest_json    text,
    size_bytes       bigint      NOT NULL,
    created_at       timestamptz,
    event_id         text        NOT NULL,
    stored_at        timestamptz NOT NULL DEFAULT now()
);

-- One row per planned episode. The configuration columns come from qwm.planner.episode-requested.v1 (or from the
-- completion, whichever arrives first; both carry it); the result columns from the FIRST
-- qwm.planner.episode-completed.v1 of the episode: a redone episode's later completion changes nothing.
CREATE TABLE episodes (
    study_id            text    NOT NULL,
    episode_index       integer NOT NULL CHECK (episode_index >= 0),
    -- configuration
    environment         text,
    encoder_sha256      text,
    encoder_component   text,
    encoder_bundle      text,
    encoder_label       text,
    predictor_sha256    text,
    predictor_component text,
    predictor_bundle    text,
    predictor_label     text,
    configuration       text,
    horizon             integer,
    samples             integer,
    top_k               integer,
    var_scale           real,
    opt_steps           integer,
    max_iter            integer,
    objective_alpha     real,
    executed_actions    integer,
    seed                bigint,
    seed_base           bigint,
    seed_offset         bigint,
    data_split          text,
    request_event_id    text,
    requested_at        timestamptz,
    -- the completed attempt
    attempt_id           text,
    worker_id            text,
    success              boolean,
    success_iteration    integer,
    final_state_distance real,
    final_best_loss      real,
    mpc_iterations       integer,
    wall_time_ms         bigint,
    mean_cem_step_ms     real,
    completed_at         timestamptz,
    completion_event_id  text,
    PRIMARY KEY (study_id, episode_index)
);

CREATE INDEX episodes_completed ON episodes (study_id) WHERE attempt_id IS NOT NULL;

-- qwm.planner.episode-progress.v1, per attempt: a worker that died leaves a partial attempt, kept but not reported.
CREATE TABLE mpc_iterations (
    study_id           text    NOT NULL,
    episode_index      integer NOT NULL,
    attempt_id         text    NOT NULL,
    mpc_iteration      integer NOT NULL CHECK (mpc_iteration >= 0),
    success            boolean NOT NULL,
    state_distance     real    NOT NULL,
    best_loss          real    NOT NULL,
    visual_divergence  real    NOT NULL,
    proprio_divergence real    NOT NULL,
    env_steps          integer NOT NULL,
    planning_ms        bigint  NOT NULL,
    event_id           text    NOT NULL,
    stored_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (study_id, episode_index, attempt_id, mpc_iteration)
);

CREATE TABLE cem_steps (
    study_id           text    NOT NULL,
    episode_index      integer NOT NULL,
    attempt_id         text    NOT NULL,
    mpc_iteration      integer NOT NULL CHECK (mpc_iteration >= 0),
    cem_step           integer NOT NULL CHECK (cem_step >= 0),
    success            boolean NOT NULL,
    state_distance     real    NOT NULL,
    best_loss          real    NOT NULL,
    visual_divergence  real    NOT NULL,
    proprio_divergence real    NOT NULL,
    event_id           text    NOT NULL,
    stored_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (study_id, episode_index, attempt_id, mpc_iteration, cem_step)
);
