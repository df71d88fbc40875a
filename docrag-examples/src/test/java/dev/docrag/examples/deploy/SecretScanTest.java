package dev.docrag.examples.deploy;

import dev.docrag.core.redact.RedactedText;
import dev.docrag.core.redact.Redactor;
import dev.docrag.core.redact.SecretRule;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No committed secrets: every file git tracks is run through DocRag's own redaction rules
 * ({@link Redactor#standard()}, the rules ingestion applies to documents), and a finding fails the
 * build naming {@code file:line} and the kind of secret. Test fixtures that hold fake secrets on
 * purpose are listed in {@code docrag-examples/deploy/secret-scan-allowlist.txt}: one line per
 * file (a glob) and kind, with the reason; an entry that no longer matches anything fails too, so
 * the list cannot grow stale and hide a real secret later.
 */
class SecretScanTest {
    static final Path ROOT = DeployFiles.ROOT;
    static final Path ALLOWLIST = ROOT.resolve("docrag-examples/deploy/secret-scan-allowlist.txt");
    static final long MAX_BYTES = 4L << 20;

    record Finding(String file, int line, String kind, String text) {
        @Override
        public String toString() {
            return file + ":" + line + ": " + kind;
        }
    }

    /** An allow-list entry: files (a glob), kinds, and optionally a text the flagged line must contain. */
    record Allowed(PathMatcher glob, String pattern, Set<String> kinds, String lineMustContain) {
        boolean covers(Finding f) {
            return glob.matches(Path.of(f.file())) && kinds.contains(f.kind())
                    && (lineMustContain == null || f.text().contains(lineMustContain));
        }
    }

    @Test
    void trackedFilesHoldNoSecretsOutsideTheAllowList() throws Exception {
        List<Allowed> allowed = allowList();
        List<Finding> findings = new ArrayList<>();
        List<String> files = trackedFiles();
        assertThat(files).as("git ls-files").contains("pom.xml", "docrag-examples/deploy/Dockerfile");
        for (String file : files) {
            findings.addAll(scan(file));
        }
        List<String> unexplained = findings.stream().filter(f -> allowed.stream().noneMatch(a -> a.covers(f)))
                .map(Finding::toString).toList();
        assertThat(unexplained).as("secrets in tracked files (remove them, or, for a deliberate fake in a test"
                + " fixture, add 'GLOB KIND reason' to %s)", ROOT.relativize(ALLOWLIST)).isEmpty();
        List<String> stale = allowed.stream().filter(a -> findings.stream().noneMatch(a::covers))
                .map(a -> a.pattern() + " " + a.kinds()).toList();
        assertThat(stale).as("allow-list entries that match nothing any more: delete them").isEmpty();
    }

    @Test
    void findsAPlantedSecretWithItsLineAndKind() {
        String aws = "AKIA" + "ABCDEFGHIJKLMNOP";
        String key = "-----BEGIN " + "RSA PRIVATE KEY-----\n" + "MIIEowIBAAKCAQEA1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t0\n"
                + "u1v2w3x4y5z6A7B8C9D0E1F2G3H4I5J6K7L8M9N0O1P2Q3R4S5T6\n" + "-----END " + "RSA PRIVATE KEY-----\n";
        List<Finding> found = scanText("config/app.env", "# settings\nregion = eu-west-1\naws_key = " + aws + "\n\n" + key);
        assertThat(found).extracting(Finding::toString)
                .contains("config/app.env:3: " + SecretRule.AWS_ACCESS_KEY.kind(), "config/app.env:5: " + SecretRule.PRIVATE_KEY.kind());
        assertThat(scanText("README.md", "Set DOCRAG_WRITE_KEYS to your key; the password is in the vault.\n")).isEmpty();
    }

    static List<String> trackedFiles() throws IOException, InterruptedException {
        String out = Tools.run(ROOT, List.of("git", "ls-files", "-z"));
        List<String> files = new ArrayList<>();
        for (String f : out.split("\0")) {
            if (!f.isBlank()) {
                files.add(f);
            }
        }
        return files;
    }

    static List<Finding> scan(String file) throws IOException {
        Path p = ROOT.resolve(file);
        if (!Files.isRegularFile(p) || Files.size(p) > MAX_BYTES) {
            return List.of(); // deleted in the work tree, a symlink to a folder, or a large data file
        }
        byte[] bytes = Files.readAllBytes(p);
        for (int i = 0; i < Math.min(bytes.length, 8192); i++) {
            if (bytes[i] == 0) {
                return List.of(); // binary
            }
        }
        try {
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
            return scanText(file, text);
        } catch (CharacterCodingException e) {
            return List.of(); // not text
        }
    }

    /**
     * Findings in {@code text}, each on its line: rules are applied line by line, then to the whole
     * text for secrets that span lines (a private key block), reported at the first changed line.
     */
    static List<Finding> scanText(String file, String text) {
        Redactor redactor = Redactor.standard();
        List<Finding> out = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            RedactedText r = redactor.redact(lines[i]);
            for (Map.Entry<SecretRule, Integer> e : r.counts().entrySet()) {
                if (e.getValue() > 0) {
                    out.add(new Finding(file, i + 1, e.getKey().kind(), lines[i]));
                }
            }
        }
        // The whole text, with what the lines showed already redacted: what is left spans lines.
        String[] lineRedacted = new String[lines.length];
        for (int i = 0; i < lines.length; i++) {
            lineRedacted[i] = redactor.redact(lines[i]).text();
        }
        RedactedText whole = redactor.redact(String.join("\n", lineRedacted));
        lines = lineRedacted;
        for (Map.Entry<SecretRule, Integer> e : whole.counts().entrySet()) {
            if (e.getValue() > 0) {
                String[] redacted = whole.text().split("\n", -1);
                int line = 0;
                while (line < Math.min(lines.length, redacted.length) && lines[line].equals(redacted[line])) {
                    line++;
                }
                out.add(new Finding(file, line + 1, e.getKey().kind(), line < lines.length ? lines[line] : ""));
            }
        }
        return out;
    }

    static List<Allowed> allowList() throws IOException {
        List<Allowed> out = new ArrayList<>();
        Set<String> kinds = new HashSet<>();
        for (SecretRule r : SecretRule.values()) {
            kinds.add(r.kind());
        }
        int n = 0;
        for (String raw : Files.readAllLines(ALLOWLIST)) {
            n++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\\s+", 4);
            assertThat(parts.length).as("%s:%d: expected 'GLOB KIND[,KIND] [~TEXT] reason'", ALLOWLIST.getFileName(), n)
                    .isGreaterThanOrEqualTo(3);
            Set<String> entryKinds = Set.of(parts[1].split(","));
            assertThat(kinds).as("%s:%d: kinds", ALLOWLIST.getFileName(), n).containsAll(entryKinds);
            assertThat(parts[0]).as("%s:%d: a glob that names files, not the whole tree", ALLOWLIST.getFileName(), n)
                    .doesNotStartWith("*");
            String mustContain = parts[2].startsWith("~") ? parts[2].substring(1) : null;
            assertThat(mustContain == null ? parts.length >= 3 : parts.length == 4).as("%s:%d: a reason", ALLOWLIST.getFileName(), n).isTrue();
            out.add(new Allowed(FileSystems.getDefault().getPathMatcher("glob:" + parts[0]), parts[0], entryKinds, mustContain));
        }
        return out;
    }
}
