package dev.docrag.examples.service;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The bearer API keys a {@link DocRagServer} accepts. Immutable and thread-safe.
 *
 * <ul>
 *   <li>A <b>write key</b> may upsert and delete documents of any tenant, search any tenant and
 *       read the service's stats: it belongs to the operator or the ingest pipeline.</li>
 *   <li>A <b>read key</b> is bound to one tenant and may only search that tenant; the server
 *       takes the tenant from the key, never from the request, so a client cannot widen it.</li>
 * </ul>
 * Keys are compared in constant time so that response timing does not reveal a key's prefix.
 */
public final class ApiKeys {
    private final Set<String> writeKeys;
    private final Map<String, String> readKeys;

    private ApiKeys(Set<String> writeKeys, Map<String, String> readKeys) {
        this.writeKeys = Set.copyOf(writeKeys);
        this.readKeys = Map.copyOf(readKeys);
    }

    /** Starts an empty set of keys. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads keys from the environment's format: {@code writeKeys} comma-separated keys,
     * {@code readKeys} comma-separated {@code key:tenant} pairs. Either may be null or blank.
     *
     * @throws IllegalArgumentException on a read key without a tenant
     */
    public static ApiKeys parse(String writeKeys, String readKeys) {
        Builder b = builder();
        if (writeKeys != null) {
            for (String k : writeKeys.split(",")) {
                if (!k.isBlank()) {
                    b.writeKey(k.strip());
                }
            }
        }
        if (readKeys != null) {
            for (String pair : readKeys.split(",")) {
                if (pair.isBlank()) {
                    continue;
                }
                int colon = pair.lastIndexOf(':');
                if (colon <= 0 || colon == pair.length() - 1) {
                    throw new IllegalArgumentException("a read key must be written key:tenant");
                }
                b.readKey(pair.substring(0, colon).strip(), pair.substring(colon + 1).strip());
            }
        }
        return b.build();
    }

    /** Whether no key at all is configured (the server then refuses every protected request). */
    public boolean isEmpty() {
        return writeKeys.isEmpty() && readKeys.isEmpty();
    }

    /** The caller a key identifies, or empty when the key is unknown. */
    public Optional<Caller> identify(String key) {
        if (key == null || key.isEmpty()) {
            return Optional.empty();
        }
        byte[] given = key.getBytes(StandardCharsets.UTF_8);
        Caller found = null;
        // Every key is compared, so the time taken does not depend on which one matched.
        for (String k : writeKeys) {
            if (MessageDigest.isEqual(given, k.getBytes(StandardCharsets.UTF_8))) {
                found = Caller.WRITER;
            }
        }
        for (Map.Entry<String, String> e : readKeys.entrySet()) {
            if (MessageDigest.isEqual(given, e.getKey().getBytes(StandardCharsets.UTF_8))) {
                found = Caller.reader(e.getValue());
            }
        }
        return Optional.ofNullable(found);
    }

    /**
     * Who is calling.
     *
     * @param writer whether the key is a write key
     * @param tenant the only tenant a read key may search; null for a write key (any tenant)
     */
    public record Caller(boolean writer, String tenant) {
        static final Caller WRITER = new Caller(true, null);

        static Caller reader(String tenant) {
            return new Caller(false, tenant);
        }
    }

    /** Collects keys; {@link #build()} rejects a key given twice. */
    public static final class Builder {
        private final Set<String> writeKeys = new LinkedHashSet<>();
        private final Map<String, String> readKeys = new LinkedHashMap<>();

        private Builder() {
        }

        /** Adds a write key (at least 16 characters: short keys are guessable). */
        public Builder writeKey(String key) {
            writeKeys.add(checkKey(key));
            return this;
        }

        /** Adds a read key that may only search {@code tenant}. */
        public Builder readKey(String key, String tenant) {
            if (tenant == null || tenant.isBlank()) {
                throw new IllegalArgumentException("a read key needs a tenant");
            }
            if (readKeys.put(checkKey(key), tenant) != null) {
                throw new IllegalArgumentException("a read key is given twice");
            }
            return this;
        }

        public ApiKeys build() {
            for (String k : readKeys.keySet()) {
                if (writeKeys.contains(k)) {
                    throw new IllegalArgumentException("a key cannot be both a write key and a read key");
                }
            }
            return new ApiKeys(writeKeys, readKeys);
        }

        private static String checkKey(String key) {
            if (key == null || key.length() < 16 || key.chars().anyMatch(c -> c <= ' ' || c == ',' || c > '~')) {
                throw new IllegalArgumentException("an API key must be at least 16 printable ASCII characters without spaces or commas");
            }
            return key;
        }
    }
}
