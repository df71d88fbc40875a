package dev.docrag.ops.backup;

import java.util.List;

/** What a prune (or a delete) removed: backups by id, and stored files no remaining backup lists. */
public record PruneReport(List<String> deletedBackups, List<String> keptBackups, int deletedFiles, long freedBytes) {
    public PruneReport {
        deletedBackups = List.copyOf(deletedBackups);
        keptBackups = List.copyOf(keptBackups);
    }
}
