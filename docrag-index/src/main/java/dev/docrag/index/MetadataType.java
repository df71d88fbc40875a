package dev.docrag.index;

/**
 * The type of a metadata field. A field's type is fixed by the first document that uses it and
 * recorded in the catalog; a later document giving the same field another type is refused, and a
 * filter's values must fit the field's type. This is what lets a filter on an unknown field or
 * with a malformed value fail with a clear message instead of silently matching nothing.
 */
public enum MetadataType {
    /** One exact-match string (a Java {@link String}); filterable with eq and in. */
    STRING,
    /** Several exact-match strings, such as tags (a Java {@code List<String>}); eq and in match any value. */
    STRING_LIST,
    /** A 64-bit integer ({@link Long}; {@link Integer}, {@link Short} and {@link Byte} are widened); eq, in, range. */
    LONG,
    /** A 64-bit floating point number ({@link Double}; {@link Float} is widened); eq, in, range. NaN is refused. */
    DOUBLE,
    /** A point in time ({@link java.time.Instant}), kept to the millisecond; eq, in, range. */
    INSTANT;

    /**
     * The canonical form of a scalar metadata or filter value: String, Long (narrower integers
     * widened), finite Double (Float widened) or Instant; {@code null} for anything else.
     */
    static Object canonicalScalar(Object value) {
        return switch (value) {
            case String s -> s;
            case Long l -> l;
            case Integer i -> (long) i;
            case Short s -> (long) s;
            case Byte b -> (long) b;
            case Double d when Double.isFinite(d) -> d;
            case Float f when Float.isFinite(f) -> (double) f;
            case java.time.Instant t -> t;
            case null, default -> null;
        };
    }
}
