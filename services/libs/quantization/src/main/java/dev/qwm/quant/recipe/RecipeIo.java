package dev.qwm.quant.recipe;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads and writes recipes as YAML ({@code .yaml}/{@code .yml}) or JSON, refusing unknown fields. */
public final class RecipeIo {

    private static final ObjectMapper YAML = configure(new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)));
    private static final ObjectMapper JSON = configure(new ObjectMapper()).enable(SerializationFeature.INDENT_OUTPUT);

    private RecipeIo() {
    }

    private static ObjectMapper configure(ObjectMapper m) {
        return m.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
    }

    public static Recipe read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read recipe " + file, e);
        }
        String name = file.getFileName().toString().toLowerCase();
        try {
            return name.endsWith(".json") ? fromJson(text) : fromYaml(text);
        } catch (RecipeException e) {
            throw new RecipeException(e.problems().stream().map(p -> file + ": " + p).toList());
        }
    }

    /** Parses YAML (JSON is valid YAML too) and validates. */
    public static Recipe fromYaml(String text) {
        return parse(YAML, text);
    }

    public static Recipe fromJson(String text) {
        return parse(JSON, text);
    }

    public static String toYaml(Recipe recipe) {
        return write(YAML, recipe);
    }

    public static String toJson(Recipe recipe) {
        return write(JSON, recipe);
    }

    /** The mapper for embedding recipes in manifests. */
    public static ObjectMapper jsonMapper() {
        return JSON;
    }

    public static void write(Recipe recipe, Path file) {
        String text = file.getFileName().toString().toLowerCase().endsWith(".json") ? toJson(recipe) : toYaml(recipe);
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write recipe " + file, e);
        }
    }

    private static Recipe parse(ObjectMapper mapper, String text) {
        try {
            Recipe r = mapper.readValue(text, Recipe.class);
            if (r == null) {
                throw new RecipeException("the recipe is empty");
            }
            return r.validate();
        } catch (ValueInstantiationException e) {
            if (e.getCause() instanceof RecipeException re) {
                throw re;
            }
            throw new RecipeException(cleanMessage(e));
        } catch (JsonProcessingException e) {
            Throwable c = e.getCause();
            while (c != null) {
                if (c instanceof RecipeException re) {
                    throw re;
                }
                c = c.getCause();
            }
            throw new RecipeException(cleanMessage(e));
        }
    }

    private static String cleanMessage(JsonProcessingException e) {
        String where = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")";
        String msg = e.getOriginalMessage();
        int cut = msg.indexOf(" (class ");
        if (cut > 0) {
            msg = msg.substring(0, cut);
        }
        return "invalid recipe" + where + ": " + msg;
    }

    private static String write(ObjectMapper mapper, Recipe recipe) {
        try {
            return mapper.writeValueAsString(recipe);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise recipe " + recipe.name(), e);
        }
    }
}
