package dev.docrag.index;

import dev.docrag.core.Block;
import dev.docrag.core.Document;
import dev.docrag.core.Page;
import dev.docrag.core.Section;
import dev.docrag.core.load.DocumentLoader;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A document handed to {@link DocRag#upsert(DocumentInput)}: its identity, text, typed metadata
 * and who may see it. Immutable; validated when built, so a bad value fails at the call site with
 * an {@link IllegalArgumentException} naming it.
 *
 * <pre>{@code
 * DocumentInput doc = DocumentInput.builder("acme", "handbook/logging")
 *         .title("Log rotation")
 *         .text("Application logs are rotated every night ...")
 *         .metadata("lang", "en")
 *         .metadata("tags", List.of("ops", "logging"))
 *         .metadata("year", 2024)
 *         .metadata("published", Instant.parse("2024-03-01T00:00:00Z"))
 *         .accessGroups("ops", "sre")
 *         .build();
 * }</pre>
 *
 * @param tenant       the owning tenant; a document's identity is (tenant, id), so two tenants
 *                     may use the same id without touching each other
 * @param id           the document's id within its tenant
 * @param source       where the document came from, shown to users (default: the id)
 * @param title        a human title (default: the id); searched by keyword too
 * @param text         the text that is chunked, embedded and indexed; must not be blank
 * @param metadata     typed values by field name: {@link String}, a {@code List<String>},
 *                     {@link Long} (or Integer/Short/Byte), {@link Double} (or Float; finite),
 *                     {@link Instant} (truncated to milliseconds). Empty lists are dropped.
 * @param accessGroups the groups allowed to see the document; empty means every caller of the
 *                     tenant may see it, otherwise a caller needs at least one of them
 * @param sections     the heading structure of {@code text} (see {@link Section}); chunks never
 *                     cross a section and carry its breadcrumb. Empty for unstructured text.
 * @param pages        the page spans of {@code text}, for a paginated source; chunks carry the
 *                     page they start on. Usually empty.
 * @param blocks       spans of {@code text} kept whole in one chunk when they fit, such as code
 *                     blocks (see {@link Block})
 */
public record DocumentInput(String tenant, String id, String source, String title, String text,
                            Map<String, Object> metadata, Set<String> accessGroups, List<Section> sections, List<Page> pages,
                            List<Block> blocks) {
    /** Longest tenant name accepted. */
    public static final int MAX_TENANT_LENGTH = 256;
    /** Longest document id accepted. */
    public static final int MAX_ID_LENGTH = 2048;

    public DocumentInput {
        tenant = checkTenant(tenant);
        Objects.requireNonNull(id, "id");
        if (id.isBlank() || id.length() > MAX_ID_LENGTH) {
            throw new IllegalArgumentException("document id must be 1.." + MAX_ID_LENGTH + " characters and not blank, got '"
                    + abbreviate(id) + "'");
        }
        source = source == null ? id : source;
        title = title == null ? id : title;
        Objects.requireNonNull(text, "text");
        if (text.isBlank()) {
            throw new IllegalArgumentException("text of document '" + id + "' (tenant " + tenant + ") must not be blank");
        }
        metadata = checkMetadata(id, metadata == null ? Map.of() : metadata);
        accessGroups = checkGroups("accessGroups of document '" + id + "'", accessGroups == null ? Set.of() : accessGroups);
        sections = sections == null ? List.of() : List.copyOf(sections);
        pages = pages == null ? List.of() : List.copyOf(pages);
        blocks = blocks == null ? List.of() : List.copyOf(blocks);
        try {
            toDocument(id, source, title, text, sections, pages, blocks); // the same span checks as a loaded document
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("document '" + id + "' (tenant " + tenant + "): " + e.getMessage(), e);
        }
    }

    /** A document without structure. */
    public DocumentInput(String tenant, String id, String source, String title, String text,
                         Map<String, Object> metadata, Set<String> accessGroups) {
        this(tenant, id, source, title, text, metadata, accessGroups, List.of(), List.of(), List.of());
    }

    /** The text and structure as the chunker takes them (metadata stays typed here). */
    Document toDocument() {
        return toDocument(id, source, title, text, sections, pages, blocks);
    }

    private static Document toDocument(String id, String source, String title, String text, List<Section> sections,
                                       List<Page> pages, List<Block> blocks) {
        return new Document(id, source, title, text, Map.of(), sections, pages, blocks);
    }

    /** Starts a document with the given identity. */
    public static Builder builder(String tenant, String id) {
        return new Builder(tenant, id);
    }

    /** Validates a tenant name: 1..256 characters, not blank, no control characters. */
    static String checkTenant(String tenant) {
        Objects.requireNonNull(tenant, "tenant");
        if (tenant.isBlank() || tenant.length() > MAX_TENANT_LENGTH || tenant.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("tenant must be 1.." + MAX_TENANT_LENGTH
                    + " characters, not blank and without control characters, got '" + abbreviate(tenant) + "'");
        }
        return tenant;
    }

    static Set<String> checkGroups(String what, Collection<String> groups) {
        Objects.requireNonNull(groups, what);
        Set<String> out = new TreeSet<>();
        for (String g : groups) {
            if (g == null || g.isBlank() || g.length() > MAX_TENANT_LENGTH) {
                throw new IllegalArgumentException(what + ": a group must be 1.." + MAX_TENANT_LENGTH
                        + " characters and not blank, got '" + (g == null ? "null" : abbreviate(g)) + "'");
            }
            out.add(g);
        }
        return Set.copyOf(out);
    }

    private static Map<String, Object> checkMetadata(String id, Map<String, Object> metadata) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : metadata.entrySet()) {
            String name = e.getKey();
            if (name == null || !Filter.FIELD_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("metadata field name '" + name + "' of document '" + id
                        + "' must be a letter followed by at most 127 letters, digits, '_', '.' or '-'");
            }
            Object v = normalise(id, name, e.getValue());
            if (!(v instanceof List<?> l && l.isEmpty())) {
                out.put(name, v);
            }
        }
        return Map.copyOf(out);
    }

    private static Object normalise(String id, String name, Object value) {
        String where = "metadata '" + name + "' of document '" + id + "'";
        if (value == null) {
            throw new IllegalArgumentException(where + " must not be null");
        }
        Object scalar = MetadataType.canonicalScalar(value);
        if (scalar != null) {
            return scalar instanceof Instant t ? t.truncatedTo(ChronoUnit.MILLIS) : scalar;
        }
        return switch (value) {
            case Collection<?> c -> {
                List<String> strings = new ArrayList<>(c.size());
                for (Object o : c) {
                    if (!(o instanceof String s)) {
                        throw new IllegalArgumentException(where + ": a list may hold only strings, got "
                                + (o == null ? "null" : o.getClass().getSimpleName()));
                    }
                    strings.add(s);
                }
                yield List.copyOf(strings);
            }
            default -> throw new IllegalArgumentException(where + " must be a String, List<String>, Long, Double "
                    + "(finite) or Instant, got " + value.getClass().getSimpleName());
        };
    }

    /** The {@link MetadataType} a normalised metadata value has. */
    static MetadataType typeOf(Object value) {
        return switch (value) {
            case String s -> MetadataType.STRING;
            case List<?> l -> MetadataType.STRING_LIST;
            case Long l -> MetadataType.LONG;
            case Double d -> MetadataType.DOUBLE;
            case Instant t -> MetadataType.INSTANT;
            default -> throw new IllegalStateException("not a normalised metadata value: " + value);
        };
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }

    /** Builds a {@link DocumentInput}; {@link #build()} validates. Not thread-safe. */
    public static final class Builder {
        private final String tenant;
        private final String id;
        private String source;
        private String title;
        private String text;
        private final Map<String, Object> metadata = new LinkedHashMap<>();
        private final Set<String> accessGroups = new TreeSet<>();
        private List<Section> sections = List.of();
        private List<Page> pages = List.of();
        private List<Block> blocks = List.of();

        private Builder(String tenant, String id) {
            this.tenant = tenant;
            this.id = id;
        }

        public Builder source(String source) {
            this.source = Objects.requireNonNull(source, "source");
            return this;
        }

        public Builder title(String title) {
            this.title = Objects.requireNonNull(title, "title");
            return this;
        }

        /** Sets the text, without structure (clears sections and pages set before). */
        public Builder text(String text) {
            this.text = Objects.requireNonNull(text, "text");
            this.sections = List.of();
            this.pages = List.of();
            this.blocks = List.of();
            return this;
        }

        /**
         * Sets the text from Markdown, as {@link DocumentLoader#markdown()} reads it: headings
         * become sections (so chunks carry breadcrumbs), YAML front matter is left out of the text
         * and its keys become STRING metadata unless set already, as does {@code type=markdown}
         * (as for Markdown files); its {@code title} becomes the title unless set already.
         *
         * @throws dev.docrag.core.load.LoadException if the front matter is malformed
         */
        public Builder markdown(String markdown) {
            return document(DocumentLoader.markdown().load(id, source == null ? id : source, id,
                    Objects.requireNonNull(markdown, "markdown")));
        }

        /**
         * Takes text, sections, pages and blocks from a loaded document; its title and string metadata
         * too, where this builder has none set yet.
         */
        public Builder document(Document document) {
            Objects.requireNonNull(document, "document");
            this.text = document.text();
            this.sections = document.sections();
            this.pages = document.pages();
            this.blocks = document.blocks();
            if (title == null && !document.title().equals(id)) {
                this.title = document.title();
            }
            document.metadata().forEach(metadata::putIfAbsent);
            return this;
        }

        /** Sets the heading structure of the text; see {@link DocumentInput#sections()}. */
        public Builder sections(List<Section> sections) {
            this.sections = List.copyOf(sections);
            return this;
        }

        /** Sets the spans to keep whole; see {@link DocumentInput#blocks()}. */
        public Builder blocks(List<Block> blocks) {
            this.blocks = List.copyOf(blocks);
            return this;
        }

        /** Sets the page spans of the text; see {@link DocumentInput#pages()}. */
        public Builder pages(List<Page> pages) {
            this.pages = List.copyOf(pages);
            return this;
        }

        /** Sets one metadata field (see {@link DocumentInput} for the accepted types). */
        public Builder metadata(String name, Object value) {
            metadata.put(Objects.requireNonNull(name, "metadata name"), Objects.requireNonNull(value, "metadata value of " + name));
            return this;
        }

        /** Adds all of {@code values} to the metadata. */
        public Builder metadata(Map<String, ?> values) {
            values.forEach(this::metadata);
            return this;
        }

        /** Adds groups allowed to see the document. */
        public Builder accessGroups(String... groups) {
            return accessGroups(List.of(groups));
        }

        public Builder accessGroups(Collection<String> groups) {
            for (String g : groups) {
                accessGroups.add(Objects.requireNonNull(g, "access group"));
            }
            return this;
        }

        public DocumentInput build() {
            return new DocumentInput(tenant, id, source, title, text, metadata, accessGroups, sections, pages, blocks);
        }
    }
}
