-- Where the encoder service computed each episode's latents (EpisodeCompleted.encoder_ran_on, additive): null for
-- episodes completed by planners, predictors or encoders that did not report it.
ALTER TABLE episodes
    ADD COLUMN encoder_ran_on_cpu_model          text,
    ADD COLUMN encoder_ran_on_cpu_class          text,
    ADD COLUMN encoder_ran_on_cpu_features       text,
    ADD COLUMN encoder_ran_on_onnx_runtime       text,
    ADD COLUMN encoder_ran_on_execution_provider text,
    ADD COLUMN encoder_ran_on_threads            integer;
