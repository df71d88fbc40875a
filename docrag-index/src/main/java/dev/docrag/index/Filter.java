package dev.docrag.index;

import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A condition on documents' metadata, applied inside the index query on every search path and
 * by {@link DocRag#delete(String, Filter)}. Immutable; build with the static factories:
 *
 * <pre>{@code
 * Filter f = Filter.and(
 *         Filter.eq("lang", "en"),
 *         Filter.in("tags", "ops", "security"),
 *         Filter.range("year", 2020, 2024),
 *         Filter.not(Filter.eq("status", "draft")));
 * }</pre>
 *
 * <p>Semantics: {@code eq} and {@code in} on a {@link MetadataType#STRING_LIST} field match when
 * any of the document's values matches. {@code range} is inclusive at both ends, and a
 * {@code null} bound is open. A document without the field never matches {@code eq}, {@code in}
 * or {@code range}, so it does match {@code not(eq(...))}. Strings match exactly (case and all).
 *
 * <p>Values are checked twice: their Java type when the filter is built (String, Long/Integer,
 * Double/Float, Instant; anything else is an {@link IllegalArgumentException} naming the value),
 * and against the field's recorded {@link MetadataType} when it is used: an unknown field, a
 * string given for a numeric field or a range over a string field is an
 * {@link IllegalArgumentException} naming the field. A LONG field accepts integral doubles and a
 * DOUBLE field accepts longs; nothing else is converted.
 */
public sealed interface Filter {
    /** Metadata field names: a letter, then letters, digits, '_', '.', '-'; at most 128 characters. */
    Pattern FIELD_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_.\\-]{0,127}");

    /** The field equals {@code value} (for a list field: one of its values does). */
    record Eq(String field, Object value) implements Filter {
        public Eq {
            field = checkField(field);
            value = checkValue(field, value);
        }
    }

    /** The field equals one of {@code values}. */
    record In(String field, List<Object> values) implements Filter {
        public In {
            field = checkField(field);
            Objects.requireNonNull(values, "values");
            if (values.isEmpty()) {
                throw new IllegalArgumentException("filter 'in' on '" + field + "' needs at least one value");
            }
            String f = field;
            values = values.stream().map(v -> checkValue(f, v)).toList();
        }
    }

    /** {@code from <= field <= to}; a null bound is open, but not both. */
    record Range(String field, Object from, Object to) implements Filter {
        public Range {
            field = checkField(field);
            if (from == null && to == null) {
                throw new IllegalArgumentException("filter range on '" + field + "' needs at least one bound");
            }
            from = from == null ? null : checkValue(field, from);
            to = to == null ? null : checkValue(field, to);
            if (from instanceof String || to instanceof String) {
                throw new IllegalArgumentException("filter range on '" + field + "': bounds must be numbers or instants, not strings");
            }
            if (from != null && to != null) {
                boolean numeric = from instanceof Number && to instanceof Number;
                if (!numeric && from.getClass() != to.getClass()) {
                    throw new IllegalArgumentException("filter range on '" + field + "': bounds of different types "
                            + from.getClass().getSimpleName() + " and " + to.getClass().getSimpleName());
                }
                int order = numeric ? Double.compare(((Number) from).doubleValue(), ((Number) to).doubleValue())
                        : ((Instant) from).compareTo((Instant) to);
                if (order > 0) {
                    throw new IllegalArgumentException("filter range on '" + field + "': from " + from + " is after to " + to);
                }
            }
        }
    }

    /** All of {@code filters} hold. */
    record And(List<Filter> filters) implements Filter {
        public And {
            filters = checkChildren("and", filters);
        }
    }

    /** At least one of {@code filters} holds. */
    record Or(List<Filter> filters) implements Filter {
        public Or {
            filters = checkChildren("or", filters);
        }
    }

    /** {@code filter} does not hold (documents without the field included). */
    record Not(Filter filter) implements Filter {
        public Not {
            Objects.requireNonNull(filter, "filter");
        }
    }

    static Filter eq(String field, Object value) {
        return new Eq(field, value);
    }

    static Filter in(String field, Object... values) {
        return new In(field, Arrays.asList(Objects.requireNonNull(values, "values")));
    }

    static Filter in(String field, Collection<?> values) {
        return new In(field, List.copyOf(Objects.requireNonNull(values, "values")));
    }

    /** Inclusive range; either bound may be {@code null} (open), not both. */
    static Filter range(String field, Object from, Object to) {
        return new Range(field, from, to);
    }

    static Filter atLeast(String field, Object from) {
        return new Range(field, from, null);
    }

    static Filter atMost(String field, Object to) {
        return new Range(field, null, to);
    }

    static Filter and(Filter... filters) {
        return new And(Arrays.asList(Objects.requireNonNull(filters, "filters")));
    }

    static Filter or(Filter... filters) {
        return new Or(Arrays.asList(Objects.requireNonNull(filters, "filters")));
    }

    static Filter not(Filter filter) {
        return new Not(filter);
    }

    private static String checkField(String field) {
        Objects.requireNonNull(field, "filter field");
        if (!FIELD_NAME.matcher(field).matches()) {
            throw new IllegalArgumentException("filter field '" + field + "' is not a valid metadata field name");
        }
        return field;
    }

    /** Normalises a filter value to String, Long, Double or Instant. */
    private static Object checkValue(String field, Object value) {
        if (value == null) {
            throw new IllegalArgumentException("filter value for '" + field + "' must not be null");
        }
        Object scalar = MetadataType.canonicalScalar(value);
        if (scalar == null) {
            throw new IllegalArgumentException("filter value for '" + field + "' must be a String, Long, "
                    + "Integer, Double, Float or Instant (finite), got " + value.getClass().getSimpleName() + " " + value);
        }
        return scalar;
    }

    private static List<Filter> checkChildren(String op, List<Filter> filters) {
        Objects.requireNonNull(filters, "filters");
        if (filters.isEmpty()) {
            throw new IllegalArgumentException("filter '" + op + "' needs at least one filter");
        }
        for (Filter f : filters) {
            Objects.requireNonNull(f, op + " filter");
        }
        return List.copyOf(filters);
    }
}
