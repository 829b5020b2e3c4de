-- Verdicts of `./qwm verify` run through the services (one row per verification, updated after each paired batch
-- until it decides) and the searches of `./qwm autoquant` whose candidates they confirm. The whole record the CLI
-- sent is kept as jsonb (`record`); the columns are what a query filters or sorts on.
CREATE TABLE verifications (
    verification_id   text PRIMARY KEY,
    search_id         text,
    environment       text             NOT NULL,
    candidate_name    text             NOT NULL,
    candidate_sha256  text             NOT NULL,
    reference_name    text             NOT NULL,
    reference_sha256  text             NOT NULL,
    margin            double precision NOT NULL,
    confidence        double precision NOT NULL,
    budget            text             NOT NULL,
    verdict           text             NOT NULL,
    difference        double precision NOT NULL,
    lower_bound       double precision NOT NULL,
    upper_bound       double precision NOT NULL,
    pairs             integer          NOT NULL,
    episodes_planned  integer          NOT NULL,
    study_ids         text[]           NOT NULL,
    machine           text             NOT NULL,
    record            jsonb            NOT NULL,
    created_at        timestamptz      NOT NULL DEFAULT now(),
    updated_at        timestamptz      NOT NULL DEFAULT now()
);
CREATE INDEX verifications_search ON verifications (search_id);

CREATE TABLE autoquant_searches (
    search_id    text PRIMARY KEY,
    environment  text        NOT NULL,
    bundle       text        NOT NULL,
    budget       text        NOT NULL,
    record       jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
