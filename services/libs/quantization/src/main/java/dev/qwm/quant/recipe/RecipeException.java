package dev.qwm.quant.recipe;

import java.util.List;

/** A recipe that cannot work; the message names every problem found. */
public class RecipeException extends RuntimeException {
    private final List<String> problems;

    public RecipeException(List<String> problems) {
        super(problems.size() == 1 ? problems.get(0)
                : "recipe has " + problems.size() + " problems:\n  - " + String.join("\n  - ", problems));
        this.problems = List.copyOf(problems);
    }

    public RecipeException(String problem) {
        this(List.of(problem));
    }

    public List<String> problems() {
        return problems;
    }
}
