-- Where the predictor service computed each episode's rollouts (EpisodeCompleted.ran_on, an additive field):
-- null for episodes completed by planners or predictors that did not report it.
ALTER TABLE episodes
    ADD COLUMN ran_on_cpu_model          text,
    ADD COLUMN ran_on_cpu_class          text,
    ADD COLUMN ran_on_cpu_features       text,
    ADD COLUMN ran_on_onnx_runtime       text,
    ADD COLUMN ran_on_execution_provider text,
    ADD COLUMN ran_on_threads            integer;
