package dev.qwm.quant.recipe;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * An override for the layers whose node name or weight name matches {@code match}: a glob ({@code *} any
 * characters, {@code ?} one) or, prefixed with {@code re:}, a Java regular expression matched in full. Fields left
 * out keep the module's values; {@code skip: true} keeps the matched layers in floating point. When several rules
 * match a layer, the later one wins for each field it sets. A module's default rules come first
 * ({@link WorldModelModule#defaultRules()}: the encoder's patch embedding in float); a later rule that gives a
 * default-skipped layer a method, weights or activations quantizes it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LayerRule(String match, QuantMethod method, WeightSpec weights, ActivationSpec activations,
                        Boolean skip, MethodOptions options) {

    public boolean matches(String... names) {
        Pattern p = pattern();
        for (String n : names) {
            if (n != null && p.matcher(n).matches()) {
                return true;
            }
        }
        return false;
    }

    Pattern pattern() {
        if (match.startsWith("re:")) {
            return Pattern.compile(match.substring(3));
        }
        StringBuilder re = new StringBuilder();
        for (char c : match.toCharArray()) {
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString());
    }

    void validate(String where, List<String> problems) {
        if (match == null || match.isBlank()) {
            problems.add(where + ": a layer rule needs a 'match' pattern");
            return;
        }
        try {
            pattern();
        } catch (PatternSyntaxException e) {
            problems.add(where + ": layer pattern '" + match + "' is not a valid regular expression: " + e.getDescription());
        }
        if (weights != null) {
            weights.validate(where + " (" + match + ")", problems);
        }
        if (activations != null) {
            activations.validate(where + " (" + match + ")", problems);
        }
        if (options != null) {
            options.validate(where + " (" + match + ")", problems);
        }
    }
}
