-- Episodes the planner could not plan: their requests went to qwm.planner.episode-requested.v1.dlq with the reason,
-- which the collector stores here, so a study with such episodes ends (failed, with the reasons) instead of waiting.
-- A completed attempt always wins: the columns are written only while the episode has no result.
ALTER TABLE episodes
    ADD COLUMN dead_letter_reason text,
    ADD COLUMN dead_lettered_at   timestamptz;
