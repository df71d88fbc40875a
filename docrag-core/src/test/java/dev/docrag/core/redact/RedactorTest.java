package dev.docrag.core.redact;

import dev.docrag.core.Document;
import dev.docrag.core.Page;
import dev.docrag.core.Section;
import dev.docrag.core.load.FileLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

import static dev.docrag.core.redact.SecretRule.AWS_ACCESS_KEY;
import static dev.docrag.core.redact.SecretRule.AWS_SECRET_KEY;
import static dev.docrag.core.redact.SecretRule.BEARER_TOKEN;
import static dev.docrag.core.redact.SecretRule.GCP_API_KEY;
import static dev.docrag.core.redact.SecretRule.GITHUB_TOKEN;
import static dev.docrag.core.redact.SecretRule.HIGH_ENTROPY_ASSIGNMENT;
import static dev.docrag.core.redact.SecretRule.JWT;
import static dev.docrag.core.redact.SecretRule.PRIVATE_KEY;
import static dev.docrag.core.redact.SecretRule.SLACK_TOKEN;
import static dev.docrag.core.redact.SecretRule.URL_PASSWORD;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Every rule with positive and near-miss examples, offsets under random documents, and
 * adversarial input against catastrophic backtracking. Random inputs come from one seed, printed
 * in every failure message; rerun a failure with {@code -Dtests.seed=<seed>}.
 */
class RedactorTest {
    private static final long SEED = seed();
    private static final Redactor STANDARD = Redactor.standard();

    // Realistic fakes. Lengths are exactly what the formats prescribe.
    static final String AWS_KEY = "AKIAIOSFODNN7EXAMPLE";
    static final String AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    static final String GCP_KEY = "AIza" + "SyB-9xQ2vL7mN4kP0rT6wZ1yC3eF8hJ5uI_";
    static final String GH_TOKEN = "ghp_" + "R8sT2uV4wX6yZ8aB0cD2eF4gH6iJ8kL0mN2o";
    static final String GH_PAT = "github_pat_11ABCDEFG0123456789abc_" + "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW";
    static final String SLACK = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx";
    static final String JWT_TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
            + ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
            + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    static final String KEY_BODY = """
            MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj
            MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu
            NMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ
            AB==""";
    static final String RSA_KEY = "-----BEGIN RSA PRIVATE KEY-----\n" + KEY_BODY + "\n-----END RSA PRIVATE KEY-----";

    private static long seed() {
        String given = System.getProperty("tests.seed");
        return given == null || given.isBlank() ? ThreadLocalRandom.current().nextLong() : Long.decode(given.strip());
    }

    private static String seedMessage() {
        return "seed=" + SEED + " (rerun with -Dtests.seed=" + SEED + ")";
    }

    static Stream<Arguments> positives() {
        String r = "[REDACTED:";
        return Stream.of(
                // private-key: the whole block, every common label
                Arguments.of(PRIVATE_KEY, "key:\n" + RSA_KEY + "\nend", "key:\n" + r + "private-key]\nend"),
                Arguments.of(PRIVATE_KEY, "-----BEGIN PRIVATE KEY-----\n" + KEY_BODY + "\n-----END PRIVATE KEY-----", r + "private-key]"),
                Arguments.of(PRIVATE_KEY, "-----BEGIN OPENSSH PRIVATE KEY-----\r\n" + KEY_BODY.replace("\n", "\r\n")
                        + "\r\n-----END OPENSSH PRIVATE KEY-----\r\n", r + "private-key]\r\n"),
                Arguments.of(PRIVATE_KEY, "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,5A1B\n\n"
                        + KEY_BODY + "\n-----END EC PRIVATE KEY-----", r + "private-key]"),
                Arguments.of(PRIVATE_KEY, "-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\n" + KEY_BODY
                        + "\n=nJ5a\n-----END PGP PRIVATE KEY BLOCK-----", r + "private-key]"),
                Arguments.of(PRIVATE_KEY, "{\"private_key\": \"-----BEGIN PRIVATE KEY-----\\n" + KEY_BODY.replace("\n", "\\n")
                        + "\\n-----END PRIVATE KEY-----\\n\"}", "{\"private_key\": \"" + r + "private-key]\\n\"}"),
                Arguments.of(PRIVATE_KEY, "-----BEGIN PRIVATE KEY----- " + KEY_BODY.replace("\n", " ") + " -----END PRIVATE KEY-----",
                        r + "private-key]"),
                // truncated paste: no END, still key material
                Arguments.of(PRIVATE_KEY, "-----BEGIN RSA PRIVATE KEY-----\n" + KEY_BODY + "\n\nThanks!", r + "private-key]\n\nThanks!"),
                // aws
                Arguments.of(AWS_ACCESS_KEY, "aws_access_key_id = " + AWS_KEY, "aws_access_key_id = " + r + "aws-access-key]"),
                Arguments.of(AWS_ACCESS_KEY, "temp ASIAY34FZKBOKMUTVV7A, ok", "temp " + r + "aws-access-key], ok"),
                Arguments.of(AWS_SECRET_KEY, "aws_secret_access_key = " + AWS_SECRET, "aws_secret_access_key = " + r + "aws-secret-key]"),
                Arguments.of(AWS_SECRET_KEY, "export AWS_SECRET_ACCESS_KEY=\"" + AWS_SECRET + "\"",
                        "export AWS_SECRET_ACCESS_KEY=\"" + r + "aws-secret-key]\""),
                Arguments.of(AWS_SECRET_KEY, "{\"SecretAccessKey\": \"" + AWS_SECRET + "\"}", "{\"SecretAccessKey\": \"" + r + "aws-secret-key]\"}"),
                // gcp, github, slack
                Arguments.of(GCP_API_KEY, "key=" + GCP_KEY + "&q=1", "key=" + r + "gcp-api-key]&q=1"),
                Arguments.of(GITHUB_TOKEN, "token " + GH_TOKEN, "token " + r + "github-token]"),
                Arguments.of(GITHUB_TOKEN, "gho_" + GH_TOKEN.substring(4) + " and ghs_" + GH_TOKEN.substring(4),
                        r + "github-token] and " + r + "github-token]"),
                Arguments.of(GITHUB_TOKEN, "GH_TOKEN=" + GH_PAT, "GH_TOKEN=" + r + "github-token]"),
                Arguments.of(SLACK_TOKEN, "SLACK_BOT=" + SLACK + "\n", "SLACK_BOT=" + r + "slack-token]\n"),
                Arguments.of(SLACK_TOKEN, "xoxp-4-56789-0123456789-abcdef0123456789abcdef0123456789", r + "slack-token]"),
                // jwt, alone and as a bearer token (the more specific rule wins)
                Arguments.of(JWT, "session " + JWT_TOKEN + ".", "session " + r + "jwt]."),
                Arguments.of(JWT, "Authorization: Bearer " + JWT_TOKEN, "Authorization: Bearer " + r + "jwt]"),
                Arguments.of(BEARER_TOKEN, "Authorization: Bearer abcDEF123456ghiJKL789", "Authorization: Bearer " + r + "bearer-token]"),
                Arguments.of(BEARER_TOKEN, "curl -H 'authorization: bearer 0123456789abcdefXYZ=='", "curl -H 'authorization: bearer "
                        + r + "bearer-token]'"),
                // url-password: user and host stay
                Arguments.of(URL_PASSWORD, "postgres://app:s3cr3t-P4ss@db.example.com:5432/app",
                        "postgres://app:" + r + "url-password]@db.example.com:5432/app"),
                Arguments.of(URL_PASSWORD, "see https://alice:hunter2@example.com/x", "see https://alice:" + r + "url-password]@example.com/x"),
                // high-entropy-assignment: only the value
                Arguments.of(HIGH_ENTROPY_ASSIGNMENT, "password = \"Xk9#mQ2$vL8pWz4n\"", "password = \"" + r + "high-entropy-assignment]\""),
                Arguments.of(HIGH_ENTROPY_ASSIGNMENT, "api_key: 7f3a9c2e8b1d4f6a0e5c", "api_key: " + r + "high-entropy-assignment]"),
                Arguments.of(HIGH_ENTROPY_ASSIGNMENT, "{\"client_secret\": \"q8Zr3LmX0vT7bN2k\"}",
                        "{\"client_secret\": \"" + r + "high-entropy-assignment]\"}"),
                Arguments.of(HIGH_ENTROPY_ASSIGNMENT, "run --db-password=Q7w9E2r4T6y8U0i1 now", "run --db-password="
                        + r + "high-entropy-assignment] now"),
                Arguments.of(HIGH_ENTROPY_ASSIGNMENT, "DB.PASSWD := 'nR4!tq7Pz0xW2'", "DB.PASSWD := '" + r + "high-entropy-assignment]'"));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("positives")
    void eachRuleRedactsItsSecretAlone(SecretRule rule, String input, String expected) {
        RedactedText only = Redactor.builder().only(rule).build().redact(input);
        assertThat(only.text()).isEqualTo(expected);
        assertThat(only.counts()).containsOnlyKeys(rule);
        // the standard redactor does the same: no other rule claims or adds anything
        RedactedText all = STANDARD.redact(input);
        assertThat(all.text()).isEqualTo(expected);
        assertThat(all.counts()).isEqualTo(only.counts());
        // idempotent
        assertThat(STANDARD.redact(all.text()).text()).isEqualTo(all.text());
    }

    static Stream<Arguments> nearMisses() {
        return Stream.of(
                // private-key: format documentation, public material, prose
                Arguments.of(PRIVATE_KEY, "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----"),
                Arguments.of(PRIVATE_KEY, "-----BEGIN PRIVATE KEY-----\nThe body follows in base64 and is followed by an END line."),
                Arguments.of(PRIVATE_KEY, "-----BEGIN PUBLIC KEY-----\n" + KEY_BODY + "\n-----END PUBLIC KEY-----"),
                Arguments.of(PRIVATE_KEY, "-----BEGIN CERTIFICATE-----\n" + KEY_BODY + "\n-----END CERTIFICATE-----"),
                Arguments.of(PRIVATE_KEY, "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq\n-----END PRIVATE KEY-----"), // 16 chars only
                // aws: 15 and 17 characters, lower case, inside a longer word, secret key of 39
                Arguments.of(AWS_ACCESS_KEY, "AKIAIOSFODNN7EXAMPL is fifteen"),
                Arguments.of(AWS_ACCESS_KEY, "AKIAIOSFODNN7EXAMPLEX is seventeen"),
                Arguments.of(AWS_ACCESS_KEY, "akiaiosfodnn7example"),
                Arguments.of(AWS_ACCESS_KEY, "XAKIAIOSFODNN7EXAMPLE"),
                Arguments.of(AWS_ACCESS_KEY, "AKIA_IOSFODNN7EXAMPLE"),
                Arguments.of(AWS_SECRET_KEY, "aws_secret_access_key = " + AWS_SECRET.substring(1)),
                Arguments.of(AWS_SECRET_KEY, "aws_secret_access_key = <your secret key>"),
                Arguments.of(AWS_SECRET_KEY, AWS_SECRET + " without a name"),
                // gcp, github, slack
                Arguments.of(GCP_API_KEY, GCP_KEY.substring(0, GCP_KEY.length() - 1) + " one short"),
                Arguments.of(GCP_API_KEY, "AIzaWord is not a key"),
                Arguments.of(GITHUB_TOKEN, GH_TOKEN.substring(0, GH_TOKEN.length() - 1) + " one short"),
                Arguments.of(GITHUB_TOKEN, "ghx_" + GH_TOKEN.substring(4)),
                Arguments.of(GITHUB_TOKEN, "set ghp_ to your token"),
                Arguments.of(SLACK_TOKEN, "xoxb-your-token-here"),
                Arguments.of(SLACK_TOKEN, "tokens look like xoxb- or xoxp-"),
                // jwt: two parts, short parts, a header that is not a JOSE header, eyJ in prose
                Arguments.of(JWT, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0"),
                Arguments.of(JWT, "eyJfoo.bar.baz"),
                Arguments.of(JWT, "eyJhIjoxfQ.eyJzdWIiOiIxIn0.abcdefghijklmnop"),
                Arguments.of(JWT, "a token starts with eyJ, then a dot, then the payload"),
                // bearer: prose and placeholders
                Arguments.of(BEARER_TOKEN, "the bearer token is sent in the Authorization header"),
                Arguments.of(BEARER_TOKEN, "Authorization: Bearer YOUR_ACCESS_TOKEN_HERE"),
                Arguments.of(BEARER_TOKEN, "Authorization: Bearer <token>"),
                Arguments.of(BEARER_TOKEN, "Authorization: Bearer ${TOKEN}"),
                Arguments.of(BEARER_TOKEN, "the bearer of bad news"),
                // url-password: no password, ports, placeholders
                Arguments.of(URL_PASSWORD, "https://example.com:8443/path?x=1"),
                Arguments.of(URL_PASSWORD, "ssh://git@github.com/acme/repo.git"),
                Arguments.of(URL_PASSWORD, "https://user@example.com/"),
                Arguments.of(URL_PASSWORD, "postgres://app:${DB_PASSWORD}@db/app"),
                Arguments.of(URL_PASSWORD, "mailto:alice:x@example.com"),
                Arguments.of(URL_PASSWORD, "http://[::1]:8080/"),
                // high-entropy-assignment: code, ordinary words, templates, low entropy, wrong key
                Arguments.of(HIGH_ENTROPY_ASSIGNMENT, "password = input()"),
                Arguments.of(HIGH_ENTROPY_ASSIGNMENT, "password = getpass.getpass(prompt='Password: ')"),
                Arguments.of(HIGH_ENTROPY_ASSIGNMENT, "tokens = tokenize.generate_tokens(f.readline)"),
                Arguments.of(HIGH_ENTROPY_ASSIGNMENT, "secret_key = settings.SECRET_KEY"),
                Arguments.of(HIGH_ENTROPY_ASSIGNMENT, "password: ${DB_PASSWORD_2024}"),
                Arguments.of(HIGH_ENTROPY_ASSIGNMENT, "password = \"hunter2\""),
                Arguments.of(HIGH_ENTROPY_ASSIGNMENT, "password = 'aaaaaaaaaaaa1'"),
                Arguments.of(HIGH_ENTROPY_ASSIGNMENT, "password = correcthorsebatterystaple"),
                Arguments.of(HIGH_ENTROPY_ASSIGNMENT, "color = \"a1b2c3d4e5f6g7h8\""),
                Arguments.of(HIGH_ENTROPY_ASSIGNMENT, "token = os.environ[\"API_TOKEN_2\"]"),
                Arguments.of(HIGH_ENTROPY_ASSIGNMENT, "The password: we rotate it every 90 days."));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("nearMisses")
    void nearMissesStay(SecretRule rule, String input) {
        assertThat(Redactor.builder().only(rule).build().redact(input).text()).isEqualTo(input);
        assertThat(Redactor.builder().only(rule).build().redact(input).counts()).isEmpty();
    }

    @Test
    void proseWithBase64AndIdentifiersSurvivesTheStandardRules() {
        String prose = """
                The value is encoded as base64, e.g. aGVsbG8gd29ybGQ= decodes to "hello world".
                Set PASSWORD in the environment; the secret is read with os.environ.get('PASSWORD').
                The SHA-256 of the file is 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.
                Use ssh-keygen to create -----BEGIN OPENSSH PRIVATE KEY----- files; never commit them.
                AKIA is the prefix of long-term access key ids, ASIA of temporary ones.
                Visit https://docs.python.org:443/3/library/ or http://localhost:8000/?q=a@b.
                """;
        RedactedText r = STANDARD.redact(prose);
        assertThat(r.counts()).isEmpty();
        assertThat(r.text()).isSameAs(prose);
    }

    @Test
    void countsEveryOccurrenceAndOnlyTheSecretsChange() {
        String text = "a " + AWS_KEY + " b " + AWS_KEY + " c " + JWT_TOKEN + " d\n" + RSA_KEY + "\ne";
        RedactedText r = STANDARD.redact(text);
        assertThat(r.text()).isEqualTo("a [REDACTED:aws-access-key] b [REDACTED:aws-access-key] c [REDACTED:jwt] d\n"
                + "[REDACTED:private-key]\ne");
        assertThat(r.counts()).containsExactly(Map.entry(PRIVATE_KEY, 1), Map.entry(AWS_ACCESS_KEY, 2), Map.entry(JWT, 1));
        assertThat(r.total()).isEqualTo(4);
    }

    @Test
    void everyRuleHasAStableUniqueKindAndReplacement() {
        assertThat(Stream.of(SecretRule.values()).map(SecretRule::kind)).containsExactly("private-key", "aws-access-key",
                "aws-secret-key", "gcp-api-key", "github-token", "slack-token", "jwt", "bearer-token", "url-password",
                "high-entropy-assignment");
        for (SecretRule rule : SecretRule.values()) {
            assertThat(rule.replacement()).isEqualTo("[REDACTED:" + rule.kind() + "]");
            assertThat(SecretRule.forKind(rule.kind())).contains(rule);
        }
        assertThat(SecretRule.forKind("nope")).isEmpty();
    }

    @Test
    void builderChoosesRulesAndRejectsNone() {
        Redactor noJwt = Redactor.builder().disable(JWT, BEARER_TOKEN).build();
        assertThat(noJwt.redact("x " + JWT_TOKEN).text()).isEqualTo("x " + JWT_TOKEN);
        assertThat(noJwt.redact("x " + AWS_KEY).text()).isEqualTo("x [REDACTED:aws-access-key]");
        assertThat(Redactor.standard().rules()).containsExactly(SecretRule.values());
        assertThatThrownBy(() -> Redactor.builder().only().build()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("at least one rule");
    }

    /**
     * Title, source and metadata are stored and shown just like the text, so they are redacted;
     * the id is the document's identity and stays.
     */
    @Test
    void documentTitleSourceAndMetadataAreRedactedButNotTheId() {
        Document doc = new Document("notes/" + AWS_KEY, "https://bob:pa55word@wiki/x", "Key " + AWS_KEY,
                "Body with " + GH_TOKEN + ".", Map.of("owner", "alice", "token", GH_TOKEN),
                List.of(new Section(List.of("Key " + AWS_KEY), 0, 10)), List.of());
        Redaction r = STANDARD.redact(doc);
        Document d = r.document();
        assertThat(d.id()).isEqualTo("notes/" + AWS_KEY);
        assertThat(d.source()).isEqualTo("https://bob:[REDACTED:url-password]@wiki/x");
        assertThat(d.title()).isEqualTo("Key [REDACTED:aws-access-key]");
        assertThat(d.text()).isEqualTo("Body with [REDACTED:github-token].");
        assertThat(d.metadata()).isEqualTo(Map.of("owner", "alice", "token", "[REDACTED:github-token]"));
        assertThat(d.sections().get(0).headings()).containsExactly("Key [REDACTED:aws-access-key]");
        // headings repeat the text and are not counted again
        assertThat(r.counts()).containsExactly(Map.entry(AWS_ACCESS_KEY, 1), Map.entry(GITHUB_TOKEN, 2),
                Map.entry(URL_PASSWORD, 1));
    }

    @Test
    void aDocumentWithoutSecretsComesBackEqual() {
        Document doc = new Document("a", "a.md", "A", "plain text\n\nmore", Map.of("k", "v"),
                List.of(new Section(List.of("A"), 0, 10), new Section(List.of("B"), 12, 16)), List.of(new Page(1, 0, 16)));
        Redaction r = STANDARD.redact(doc);
        assertThat(r.document()).isEqualTo(doc);
        assertThat(r.total()).isZero();
    }

    // ---- offsets: random documents with sections, pages and secrets at random positions ----

    private static final String[] SECRETS = {AWS_KEY, GH_TOKEN, JWT_TOKEN, RSA_KEY, SLACK, GCP_KEY,
            "Authorization: Bearer abcDEF123456ghiJKL789", "postgres://app:s3cr3t-P4ss@db.example.com/app",
            "aws_secret_access_key = " + AWS_SECRET, "password = \"Xk9#mQ2$vL8pWz4n\""};
    private static final String[] WORDS = {"the", "index", "rotates", "logs", "at", "midnight", "and", "keeps", "fourteen",
            "days", "of", "archives", "restore", "with", "care"};

    /** One secret in a generated text: where it is and what exactly the redactor should replace. */
    private record Planted(int start, int end, String replacement) {
    }

    @Test
    void sectionAndPageOffsetsCoverTheRedactedFormOfTheirOriginalText() {
        Random rnd = new Random(SEED);
        for (int doc = 0; doc < 500; doc++) {
            StringBuilder text = new StringBuilder();
            List<Planted> planted = new ArrayList<>();
            int pieces = 1 + rnd.nextInt(30);
            for (int i = 0; i < pieces; i++) {
                if (i > 0) {
                    text.append(rnd.nextInt(4) == 0 ? "\n\n" : " ");
                }
                if (rnd.nextInt(3) == 0) {
                    String secret = SECRETS[rnd.nextInt(SECRETS.length)];
                    RedactedText alone = STANDARD.redact(secret);
                    assertThat(alone.total()).isEqualTo(1);
                    // where in the secret's own text the replacement goes (rules may keep a prefix)
                    String replacement = alone.counts().keySet().iterator().next().replacement();
                    int prefix = alone.text().indexOf(replacement);
                    int suffix = alone.text().length() - prefix - replacement.length();
                    int at = text.length();
                    planted.add(new Planted(at + prefix, at + secret.length() - suffix, replacement));
                    text.append(secret);
                } else {
                    int words = 1 + rnd.nextInt(6);
                    for (int w = 0; w < words; w++) {
                        text.append(w == 0 ? "" : " ").append(WORDS[rnd.nextInt(WORDS.length)]);
                    }
                }
            }
            String original = text.toString();
            List<Section> sections = new ArrayList<>();
            for (int[] span : randomSpans(rnd, original.length())) {
                sections.add(new Section(List.of("h" + span[0]), span[0], span[1]));
            }
            List<Page> pages = new ArrayList<>();
            for (int[] span : randomSpans(rnd, original.length())) {
                pages.add(new Page(pages.size() + 1, span[0], span[1]));
            }
            Redaction r = STANDARD.redact(new Document("d" + doc, "s", "t", original, Map.of(), sections, pages));
            String redacted = r.document().text();
            String context = seedMessage() + ", document " + doc + ": " + original;

            assertThat(redacted).as(context).isEqualTo(expectedRedaction(original, planted, 0, original.length()));
            assertThat(r.total()).as(context).isEqualTo(planted.size());
            for (int i = 0; i < sections.size(); i++) {
                Section before = sections.get(i);
                Section after = r.document().sections().get(i);
                assertThat(redacted.substring(after.start(), after.end())).as(context + " section " + before)
                        .isEqualTo(expectedRedaction(original, planted, before.start(), before.end()));
            }
            for (int i = 0; i < pages.size(); i++) {
                Page before = pages.get(i);
                Page after = r.document().pages().get(i);
                assertThat(redacted.substring(after.start(), after.end())).as(context + " page " + before)
                        .isEqualTo(expectedRedaction(original, planted, before.start(), before.end()));
                assertThat(after.number()).isEqualTo(before.number());
            }
        }
    }

    /** Random ordered, non-overlapping spans with boundaries anywhere, including inside secrets. */
    private static List<int[]> randomSpans(Random rnd, int length) {
        int n = rnd.nextInt(6);
        List<Integer> cuts = new ArrayList<>();
        for (int i = 0; i < 2 * n; i++) {
            cuts.add(rnd.nextInt(length + 1));
        }
        cuts.sort(null);
        List<int[]> spans = new ArrayList<>();
        for (int i = 0; i + 1 < cuts.size(); i += 2) {
            spans.add(new int[] {cuts.get(i), cuts.get(i + 1)});
        }
        return spans;
    }

    /**
     * The model of what [from, to) of the original should become: the original characters, with
     * each planted secret that starts inside the span replaced (a replacement belongs to the span
     * where its secret starts), and the characters of secrets that started before the span dropped.
     */
    private static String expectedRedaction(String original, List<Planted> planted, int from, int to) {
        StringBuilder out = new StringBuilder();
        int at = from;
        for (Planted p : planted) {
            if (p.end() <= from || p.start() >= to) {
                continue;
            }
            if (p.start() < from) { // started before the span: its replacement is elsewhere
                at = Math.max(at, p.end());
                continue;
            }
            out.append(original, at, p.start()).append(p.replacement());
            at = p.end();
        }
        if (at < to) {
            out.append(original, at, to);
        }
        return out.toString();
    }

    // ---- adversarial input: linear time on a megabyte ----

    static Stream<Arguments> adversarial() {
        int mb = 1 << 20;
        Random rnd = new Random(SEED);
        String b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        StringBuilder base64 = new StringBuilder(mb);
        while (base64.length() < mb) {
            base64.append(b64chars.charAt(rnd.nextInt(64)));
        }
        return Stream.of(
                Arguments.of("BEGIN without END, then 1 MB of base64", "-----BEGIN PRIVATE KEY-----\n" + base64),
                Arguments.of("BEGIN lines only", "-----BEGIN RSA PRIVATE KEY-----\n".repeat(mb / 32)),
                Arguments.of("BEGIN with one base64 line each, no END", ("-----BEGIN PRIVATE KEY-----\n" + base64.substring(0, 64)
                        + "\n").repeat(mb / 93)),
                Arguments.of("headers without body", ("-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n").repeat(mb / 55)),
                Arguments.of("eyJ runs with dots", "eyJhbGciOi.".repeat(mb / 11)),
                Arguments.of("eyJ runs with dashes", "eyJ-".repeat(mb / 4)),
                Arguments.of("one eyJ part of 1 MB", "eyJ" + base64.toString().replace('+', '-').replace('/', '_')),
                Arguments.of("key-like runs", "a-".repeat(mb / 2)),
                Arguments.of("password and an unterminated quote", "password = '" + "x1".repeat(mb / 2)),
                Arguments.of("many short assignments", "password=abc1 ".repeat(mb / 14)),
                Arguments.of("bearer without token", "bearer ".repeat(mb / 7)),
                Arguments.of("bearer with a 1 MB token", "Bearer " + base64),
                Arguments.of("schemes without password", "http://".repeat(mb / 7)),
                Arguments.of("user info without @", "https://user:" + "p".repeat(mb)),
                Arguments.of("token prefixes", "ghp_xoxb-1-AKIAAIza".repeat(mb / 19)),
                Arguments.of("1 MB of base64", base64.toString()),
                Arguments.of("1 MB of base64 lines", base64.toString().replaceAll("(.{64})", "$1\n")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adversarial")
    void megabyteOfAdversarialInputIsLinear(String name, String input) {
        // A guard against catastrophic backtracking, not a benchmark: quadratic behaviour on a
        // megabyte takes minutes; linear takes well under a second even on a shared CPU.
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> STANDARD.redact(input), seedMessage());
    }

    /**
     * The false-positive measurement quoted in the README: every file DocRag would ingest from
     * Debian's python3.11-doc (HTML and reStructuredText sources, full of code samples and no
     * real secrets; .ci/run installs them). Takes ~15 s.
     * Measured: 1,027 files, 22.3 million characters, 2 redactions, both url-password on the
     * documented placeholder {@code http://user:pass@host:port/path}.
     */
    @Test
    void falsePositivesOnThePythonDocs() throws Exception {
        Path root = Path.of("/usr/share/doc/python3.11/html");
        assertThat(root).as("the Python docs: apt-get install python3.11-doc (.ci/run does)").isDirectory();
        FileLoader loader = FileLoader.standard();
        Map<SecretRule, Integer> counts = new EnumMap<>(SecretRule.class);
        // The .html and .txt files are what FileLoader lists there (the rest is images, scripts,
        // styles); walked here so the measurement does not depend on the listing API.
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(Files::isRegularFile).filter(f -> f.toString().endsWith(".html") || f.toString().endsWith(".txt"))
                    .sorted().toList();
        }
        assertThat(files).hasSize(1027);
        for (Path file : files) {
            STANDARD.redact(loader.load(root, file)).counts().forEach((rule, n) -> counts.merge(rule, n, Integer::sum));
        }
        assertThat(counts).isEqualTo(Map.of(URL_PASSWORD, 2));
    }

    @Test
    void aTruncatedKeyIsRedactedUpToItsLastBodyLine() {
        String body = KEY_BODY.replace("\n", "");
        RedactedText r = STANDARD.redact("-----BEGIN PRIVATE KEY-----\n" + body + "\nThat is all.");
        assertThat(r.text()).isEqualTo("[REDACTED:private-key]\nThat is all.");
    }
}
