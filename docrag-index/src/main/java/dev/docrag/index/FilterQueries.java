package dev.docrag.index;

import org.apache.lucene.document.DoubleField;
import org.apache.lucene.document.KeywordField;
import org.apache.lucene.document.LongField;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.util.BytesRef;

import java.time.Instant;
import java.util.List;

/**
 * Translates a {@link Filter} into a Lucene query over the metadata fields, checking each field
 * against the {@link MetadataFields} registry so that an unknown field or a value of the wrong
 * type fails with an {@link IllegalArgumentException} naming it, rather than matching nothing.
 * Metadata field {@code f} lives in Lucene field {@code m.f}: strings as {@link KeywordField}
 * (terms and doc values), numbers as {@link LongField} / {@link DoubleField} (points and doc
 * values), instants as epoch milliseconds in a {@link LongField}.
 */
final class FilterQueries {
    static final String PREFIX = "m.";

    private FilterQueries() {
    }

    static Query toQuery(Filter filter, MetadataFields fields) {
        return switch (filter) {
            case Filter.Eq eq -> eq(eq.field(), eq.value(), fields);
            case Filter.In in -> in(in.field(), in.values(), fields);
            case Filter.Range r -> range(r, fields);
            case Filter.And and -> {
                BooleanQuery.Builder b = new BooleanQuery.Builder();
                and.filters().forEach(f -> b.add(toQuery(f, fields), Occur.FILTER));
                yield b.build();
            }
            case Filter.Or or -> {
                BooleanQuery.Builder b = new BooleanQuery.Builder();
                or.filters().forEach(f -> b.add(toQuery(f, fields), Occur.SHOULD));
                yield b.setMinimumNumberShouldMatch(1).build();
            }
            // A purely negative Lucene query matches nothing: negate against all documents.
            case Filter.Not not -> new BooleanQuery.Builder()
                    .add(MatchAllDocsQuery.INSTANCE, Occur.FILTER)
                    .add(toQuery(not.filter(), fields), Occur.MUST_NOT)
                    .build();
        };
    }

    private static MetadataType typeOf(String field, MetadataFields fields) {
        MetadataType type = fields.type(field);
        if (type == null) {
            throw new IllegalArgumentException("filter field '" + field + "' is unknown: no document in this index has "
                    + "metadata '" + field + "' (field names are case-sensitive)");
        }
        return type;
    }

    private static Query eq(String field, Object value, MetadataFields fields) {
        MetadataType type = typeOf(field, fields);
        String lucene = PREFIX + field;
        return switch (type) {
            case STRING, STRING_LIST -> KeywordField.newExactQuery(lucene, asString(field, type, value));
            case LONG -> LongField.newExactQuery(lucene, asLong(field, value));
            case DOUBLE -> DoubleField.newExactQuery(lucene, asDouble(field, value));
            case INSTANT -> LongField.newExactQuery(lucene, asInstant(field, value).toEpochMilli());
        };
    }

    private static Query in(String field, List<Object> values, MetadataFields fields) {
        MetadataType type = typeOf(field, fields);
        String lucene = PREFIX + field;
        return switch (type) {
            case STRING, STRING_LIST -> KeywordField.newSetQuery(lucene,
                    values.stream().map(v -> new BytesRef(asString(field, type, v))).toList());
            case LONG -> LongField.newSetQuery(lucene, values.stream().mapToLong(v -> asLong(field, v)).toArray());
            case DOUBLE -> DoubleField.newSetQuery(lucene, values.stream().mapToDouble(v -> asDouble(field, v)).toArray());
            case INSTANT -> LongField.newSetQuery(lucene,
                    values.stream().mapToLong(v -> asInstant(field, v).toEpochMilli()).toArray());
        };
    }

    private static Query range(Filter.Range r, MetadataFields fields) {
        String field = r.field();
        MetadataType type = typeOf(field, fields);
        String lucene = PREFIX + field;
        return switch (type) {
            case STRING, STRING_LIST -> throw new IllegalArgumentException("filter range on '" + field + "': the field is "
                    + type + "; ranges apply to LONG, DOUBLE and INSTANT fields");
            case LONG -> LongField.newRangeQuery(lucene,
                    r.from() == null ? Long.MIN_VALUE : ceilLong(field, r.from()),
                    r.to() == null ? Long.MAX_VALUE : floorLong(field, r.to()));
            case DOUBLE -> DoubleField.newRangeQuery(lucene,
                    r.from() == null ? Double.NEGATIVE_INFINITY : asDouble(field, r.from()),
                    r.to() == null ? Double.POSITIVE_INFINITY : asDouble(field, r.to()));
            case INSTANT -> LongField.newRangeQuery(lucene,
                    r.from() == null ? Long.MIN_VALUE : asInstant(field, r.from()).toEpochMilli(),
                    r.to() == null ? Long.MAX_VALUE : asInstant(field, r.to()).toEpochMilli());
        };
    }

    private static IllegalArgumentException wrongType(String field, MetadataType type, Object value) {
        return new IllegalArgumentException("filter value " + describe(value) + " for '" + field + "' does not fit the field's type "
                + type);
    }

    private static String describe(Object value) {
        return value instanceof String s ? "\"" + s + "\" (String)" : value + " (" + value.getClass().getSimpleName() + ")";
    }

    private static String asString(String field, MetadataType type, Object value) {
        if (value instanceof String s) {
            return s;
        }
        throw wrongType(field, type, value);
    }

    private static long asLong(String field, Object value) {
        if (value instanceof Long l) {
            return l;
        }
        if (value instanceof Double d && d == Math.rint(d) && Math.abs(d) < 0x1p63) {
            return d.longValue();
        }
        throw wrongType(field, MetadataType.LONG, value);
    }

    /** The smallest long at or above a range's lower bound (2.5 -> 3). */
    private static long ceilLong(String field, Object value) {
        if (value instanceof Double d) {
            return d >= 0x1p63 ? Long.MAX_VALUE : d <= -0x1p63 ? Long.MIN_VALUE : (long) Math.ceil(d);
        }
        return asLong(field, value);
    }

    /** The largest long at or below a range's upper bound (2.5 -> 2). */
    private static long floorLong(String field, Object value) {
        if (value instanceof Double d) {
            return d >= 0x1p63 ? Long.MAX_VALUE : d <= -0x1p63 ? Long.MIN_VALUE : (long) Math.floor(d);
        }
        return asLong(field, value);
    }

    private static double asDouble(String field, Object value) {
        if (value instanceof Double d) {
            return d;
        }
        if (value instanceof Long l) {
            return l;
        }
        throw wrongType(field, MetadataType.DOUBLE, value);
    }

    private static Instant asInstant(String field, Object value) {
        if (value instanceof Instant t) {
            return t;
        }
        throw wrongType(field, MetadataType.INSTANT, value);
    }
}
