package dev.docrag.ops.backup;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Which backups {@link BackupManager#prune()} keeps: every backup younger than
 * {@link #keepWithin()}, but never fewer than {@link #atLeast()} (the newest, whatever their age)
 * and never more than {@link #atMost()} (the oldest beyond it go, however young). Default: 7 days,
 * at least 3, no maximum. Immutable; {@code atLeast <= atMost} is checked.
 *
 * <pre>{@code Retention.keepWithin(Duration.ofDays(14)).atLeast(3).atMost(30)}</pre>
 */
public record Retention(Duration keepWithin, int atLeast, int atMost) {

    public Retention {
        Objects.requireNonNull(keepWithin, "keepWithin");
        if (keepWithin.isNegative()) {
            throw new IllegalArgumentException("keepWithin must not be negative: " + keepWithin);
        }
        if (atLeast < 1) {
            throw new IllegalArgumentException("atLeast must be at least 1 (the newest backup is always kept), got " + atLeast);
        }
        if (atMost < atLeast) {
            throw new IllegalArgumentException("atMost (" + atMost + ") must not be below atLeast (" + atLeast + ")");
        }
    }

    /** 7 days, at least 3, no maximum. */
    public static Retention defaults() {
        return new Retention(Duration.ofDays(7), 3, Integer.MAX_VALUE);
    }

    /** Keep backups younger than {@code age}, at least 1, no maximum. */
    public static Retention keepWithin(Duration age) {
        return new Retention(age, 1, Integer.MAX_VALUE);
    }

    public Retention atLeast(int count) {
        return new Retention(keepWithin, count, Math.max(count, atMost));
    }

    public Retention atMost(int count) {
        return new Retention(keepWithin, atLeast, count);
    }

    /** The ids to keep of {@code backups} (any order), at {@code now}. */
    List<String> keep(List<Manifest> backups, Instant now) {
        List<Manifest> newestFirst = new ArrayList<>(backups);
        newestFirst.sort((a, b) -> b.created().compareTo(a.created()));
        List<String> kept = new ArrayList<>();
        for (int i = 0; i < newestFirst.size(); i++) {
            Manifest m = newestFirst.get(i);
            boolean young = Duration.between(m.created(), now).compareTo(keepWithin) < 0;
            if (i < atLeast || (young && i < atMost)) {
                kept.add(m.id());
            }
        }
        return kept;
    }
}
