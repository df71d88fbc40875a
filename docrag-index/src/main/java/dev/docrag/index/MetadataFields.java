package dev.docrag.index;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The index-wide registry of metadata field types: the first document to use a field fixes its
 * {@link MetadataType}. Loaded from the catalog on open and extended (catalog first) by writes,
 * which DocRag serialises; read concurrently by searches. Lucene itself refuses a field indexed
 * two ways, so this registry is also what turns such a clash into a clear per-document error.
 */
final class MetadataFields {
    private final Map<String, MetadataType> types = new ConcurrentHashMap<>();

    MetadataFields(Map<String, MetadataType> known) {
        types.putAll(known);
    }

    /** The field's type, or null if no document has used it. */
    MetadataType type(String field) {
        return types.get(field);
    }

    /** An ordered copy. */
    Map<String, MetadataType> snapshot() {
        return new TreeMap<>(types);
    }

    /**
     * The fields {@code doc} would add to the registry.
     *
     * @throws IllegalArgumentException if one of its values has another type than the field's
     */
    Map<String, MetadataType> newFieldsOf(DocumentInput doc) {
        Map<String, MetadataType> added = new TreeMap<>();
        for (Map.Entry<String, Object> e : doc.metadata().entrySet()) {
            MetadataType type = DocumentInput.typeOf(e.getValue());
            MetadataType known = types.get(e.getKey());
            if (known == null) {
                added.put(e.getKey(), type);
            } else if (known != type) {
                throw new IllegalArgumentException("metadata '" + e.getKey() + "' of document '" + doc.id() + "' (tenant "
                        + doc.tenant() + ") is a " + type + " but the index holds that field as " + known
                        + "; a field keeps the type its first document gave it");
            }
        }
        return added;
    }

    void register(Map<String, MetadataType> fields) {
        types.putAll(fields);
    }
}
