package dev.qwm.quant.methods;

import dev.qwm.quant.recipe.QuantMethod;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** The registry: one {@link QuantizationMethod} per {@link QuantMethod}. */
public final class Methods {

    private static final Map<QuantMethod, QuantizationMethod> ALL = new EnumMap<>(QuantMethod.class);

    static {
        for (QuantizationMethod m : List.of(new Rtn(), new Omse(), new Gptq(), new SmoothQuantMethod(), new Awq(),
                new OmniQuant())) {
            if (ALL.put(m.id(), m) != null) {
                throw new IllegalStateException("two methods for " + m.id());
            }
        }
        for (QuantMethod m : QuantMethod.values()) {
            if (!ALL.containsKey(m)) {
                throw new IllegalStateException("no implementation of method " + m.id());
            }
        }
    }

    private Methods() {
    }

    public static QuantizationMethod of(QuantMethod method) {
        return ALL.get(method);
    }
}
