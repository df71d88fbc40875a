package dev.docrag.core.redact;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntBinaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every kind of secret a {@link Redactor} knows, in one place. Each rule has a stable
 * {@link #kind()} name used in the replacement text {@code [REDACTED:<kind>]} and in ingest
 * reports; names never change once released.
 *
 * <p>Rules are listed in priority order: where two rules match overlapping text, the earlier one
 * wins (so {@code Authorization: Bearer eyJ...} is reported as a {@link #JWT}, and a GitHub token
 * assigned to {@code token = ...} as a {@link #GITHUB_TOKEN}).
 *
 * <p>Performance: every pattern runs in time linear in the text. Each starts behind a negative
 * look-behind on its own character class and uses possessive quantifiers, so no start position
 * re-scans a run another start already scanned, and nothing backtracks; the private-key rule is a
 * hand-written line scanner. {@code RedactorTest} feeds a megabyte of adversarial input to each.
 */
public enum SecretRule {
    /**
     * A PEM or PGP private key block ({@code -----BEGIN [RSA |EC |OPENSSH |ENCRYPTED |PGP ...]PRIVATE
     * KEY[ BLOCK]-----}) with its base64 body and the END line. A header followed by at least 40
     * base64 characters but no END line (a truncated paste) is redacted up to the last body line;
     * a header followed by no key material (documentation of the format) is left alone.
     */
    PRIVATE_KEY("private-key", null, 0, "-----BEGIN "),
    /** An AWS access key id: {@code AKIA} (long-term) or {@code ASIA} (temporary) and 16 upper-case letters or digits. */
    AWS_ACCESS_KEY("aws-access-key", "(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])", 0, "AKIA", "ASIA"),
    /**
     * An AWS secret access key (40 base64 characters), recognised only by its name: {@code
     * aws_secret_access_key = ...}, {@code AWS_SECRET_ACCESS_KEY=...}, {@code "SecretAccessKey": "..."}.
     * Only the value is replaced.
     */
    AWS_SECRET_KEY("aws-secret-key",
            "(?i:(?:aws_?)?secret_?access_?key|aws_?secret_?key)[\"']?[ \\t]{0,8}+(?::=|=>|[:=])[ \\t]{0,8}+[\"']?"
                    + "([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])", 1, "ecret", "ECRET"),
    /** A Google Cloud API key: {@code AIza} and 35 URL-safe characters. */
    GCP_API_KEY("gcp-api-key", "(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])", 0, "AIza"),
    /**
     * A GitHub token: {@code ghp_}, {@code gho_}, {@code ghu_}, {@code ghs_} or {@code ghr_} and at
     * least 36 letters or digits, or a fine-grained {@code github_pat_...}.
     */
    GITHUB_TOKEN("github-token",
            "(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}+|github_pat_[A-Za-z0-9_]{22,247}+)(?![A-Za-z0-9_])", 0,
            "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    /** A Slack token: {@code xoxb-}, {@code xoxa-}, {@code xoxp-}, {@code xoxr-} or {@code xoxs-}, digits, and more. */
    SLACK_TOKEN("slack-token", "(?<![A-Za-z0-9_-])xox[baprs]-[0-9]{1,20}+-[0-9A-Za-z-]{8,250}+(?![0-9A-Za-z-])", 0, "xox"),
    /**
     * A JSON Web Token: three (or, for JWE, five) base64url parts separated by dots, whose first
     * part decodes to a JSON object naming {@code alg} or {@code enc}.
     */
    JWT("jwt", "(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}+\\.[A-Za-z0-9_-]{5,}+\\.[A-Za-z0-9_-]{5,}+(?:\\.[A-Za-z0-9_-]++){0,2}+", 0, "eyJ"),
    /**
     * The token after {@code bearer} (as in {@code Authorization: Bearer <token>}): at least 16
     * RFC 6750 token characters including a digit and a letter, so that prose ("the bearer token
     * is ...") and placeholders ({@code Bearer YOUR_TOKEN}) stay. Only the token is replaced.
     */
    BEARER_TOKEN("bearer-token", "(?<![A-Za-z0-9_])(?i:bearer)[ \\t]++([A-Za-z0-9._~+/-]{16,}+=*+)", 1, "earer", "EARER"),
    /**
     * The password of a URL's user information ({@code scheme://user:password@host}); user, host
     * and everything else stay. Template references ({@code ${DB_PASSWORD}}) are left alone.
     */
    URL_PASSWORD("url-password",
            "(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,31}+://[^\\s:/?#@\\[\\]\"'<>]{1,256}+:([^\\s/?#@\"'<>]{1,256}+)@", 1, "://"),
    /**
     * The value of an assignment ({@code key = value}, {@code key: value}, {@code "key": "value"},
     * {@code --key=value}) whose key names a secret (password, passwd, pwd, secret, token, api key,
     * access key, private key, credential, auth/signing/encryption key) and whose value looks
     * random: at least 12 characters, a letter and a digit, Shannon entropy of at least
     * {@value #MIN_ENTROPY_BITS} bits per character, not a template reference, not followed by a
     * call or index bracket. Only the value is replaced.
     */
    HIGH_ENTROPY_ASSIGNMENT("high-entropy-assignment",
            "(?<![A-Za-z0-9_.-])-{0,2}+([A-Za-z_][A-Za-z0-9_.-]{0,63}+)[\"']?[ \\t]{0,8}+(?::=|=>|[:=])[ \\t]{0,8}+([\"'`]?)"
                    + "([^\\s\"'`,;()\\[\\]{}<>]{12,512}+)(?![(\\[{<])\\2", 3);

    /**
     * Entropy a value of {@link #HIGH_ENTROPY_ASSIGNMENT} must reach, in bits per character. A
     * 12-character value reaches it only with at least 9 distinct characters; English words and
     * identifiers with a version number rarely do. Measured false positives: README.
     */
    public static final double MIN_ENTROPY_BITS = 3.0;

    /** Base64 characters a private key body needs before a header without END counts as a key. */
    static final int MIN_KEY_BODY = 40;

    private static final Pattern KEY_HEADER = Pattern.compile("-----BEGIN ((?:[A-Z0-9]{1,20} ){0,3})PRIVATE KEY(?: BLOCK)?-----");
    private static final Pattern KEY_FOOTER = Pattern.compile("-----END ((?:[A-Z0-9]{1,20} ){0,3})PRIVATE KEY(?: BLOCK)?-----");
    private static final Pattern SECRET_KEY_NAME = Pattern.compile(
            "password|passwd|pwd|secret|token|apikey|accesskey|privatekey|credential|authkey|signingkey|encryptionkey");

    private final String kind;
    private final Pattern pattern;
    private final int group;
    /**
     * Literals of which a text must contain one for the rule to match; none means no pre-check.
     * For the case-insensitive names they are the tails in lower and upper case ("ecret" for
     * secret and Secret), so only freak casings such as "sECRET" escape the pre-check.
     */
    private final String[] literals;

    SecretRule(String kind, String regex, int group, String... literals) {
        this.kind = kind;
        this.pattern = regex == null ? null : Pattern.compile(regex);
        this.group = group;
        this.literals = literals;
    }

    /** The stable name of this kind of secret, e.g. {@code aws-access-key}. */
    public String kind() {
        return kind;
    }

    /** What a match is replaced with: {@code [REDACTED:<kind>]}. */
    public String replacement() {
        return "[REDACTED:" + kind + "]";
    }

    /** The rule with the given {@link #kind()} name, if any. */
    public static Optional<SecretRule> forKind(String kind) {
        for (SecretRule r : values()) {
            if (r.kind.equals(kind)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    /**
     * Reports every span of {@code text} this rule would replace, in text order, as
     * {@code sink.applyAsInt(start, end)} (the return value is ignored). Spans of one rule never
     * overlap; spans of different rules may, and {@link Redactor} resolves that by priority.
     */
    void find(String text, IntBinaryOperator sink) {
        // String.indexOf is vectorised and most documents hold none of the literals, which spares
        // them a regular-expression pass that costs a look-behind at every character.
        if (literals.length > 0 && Arrays.stream(literals).noneMatch(text::contains)) {
            return;
        }
        if (this == PRIVATE_KEY) {
            findPrivateKeys(text, sink);
            return;
        }
        Matcher m = pattern.matcher(text);
        while (m.find()) {
            if (accept(text, m)) {
                sink.applyAsInt(m.start(group), m.end(group));
            }
        }
    }

    private boolean accept(String text, Matcher m) {
        return switch (this) {
            case JWT -> isJwtHeader(text.substring(m.start(), text.indexOf('.', m.start())));
            case BEARER_TOKEN -> hasLetterAndDigit(m.group(1));
            case URL_PASSWORD -> !isPlaceholder(m.group(1));
            case HIGH_ENTROPY_ASSIGNMENT -> namesSecret(m.group(1)) && looksRandom(m.group(3));
            default -> true;
        };
    }

    private static boolean isJwtHeader(String part) {
        try {
            String json = new String(Base64.getUrlDecoder().decode(part), StandardCharsets.UTF_8);
            return json.startsWith("{\"") && (json.contains("\"alg\"") || json.contains("\"enc\""));
        } catch (IllegalArgumentException notBase64url) {
            return false;
        }
    }

    private static boolean namesSecret(String key) {
        String k = key.toLowerCase(Locale.ROOT).replace("_", "").replace("-", "").replace(".", "");
        return SECRET_KEY_NAME.matcher(k).find();
    }

    /** Whether an assignment's value is random enough to be a secret rather than a word or a name. */
    static boolean looksRandom(String value) {
        return value.length() >= 12 && hasLetterAndDigit(value) && !isPlaceholder(value)
                && shannonEntropy(value) >= MIN_ENTROPY_BITS;
    }

    /** Template references and masks that stand for a secret without being one. */
    private static boolean isPlaceholder(String value) {
        return value.startsWith("$") || value.startsWith("%") || value.startsWith("[REDACTED:") || value.startsWith("{") || value.startsWith("<")
                || value.chars().allMatch(c -> c == '*' || c == 'x' || c == 'X' || c == '.');
    }

    private static boolean hasLetterAndDigit(String s) {
        return s.chars().anyMatch(Character::isDigit) && s.chars().anyMatch(Character::isLetter);
    }

    /** Shannon entropy of the character distribution of {@code s}, in bits per character. */
    static double shannonEntropy(String s) {
        if (s.isEmpty()) {
            return 0;
        }
        Map<Integer, Integer> counts = new HashMap<>();
        s.chars().forEach(c -> counts.merge(c, 1, Integer::sum));
        double h = 0;
        for (int n : counts.values()) {
            double p = (double) n / s.length();
            h -= p * (Math.log(p) / Math.log(2));
        }
        return h;
    }

    /*
     * Private keys are found by a line scanner rather than one regular expression, because
     * "BEGIN, anything, END" is either quadratic on many BEGINs without END or swallows the prose
     * between a format example and a distant END. The body is accepted only as what a key body
     * is: optional "Name: value" header lines (Proc-Type, DEK-Info, Version, Comment), then runs
     * of base64 separated by line breaks (real or written as \n inside a JSON string) or, when
     * the key was flattened onto one line, by spaces between runs of 16 or more characters.
     * The scan stops at the first character that is not body, so it never passes the next BEGIN
     * and the whole search is linear.
     */
    private static void findPrivateKeys(String text, IntBinaryOperator sink) {
        Matcher header = KEY_HEADER.matcher(text);
        Matcher footer = KEY_FOOTER.matcher(text);
        int from = 0;
        while (from < text.length() && header.find(from)) {
            int end = scanKeyBody(text, header.end(), footer);
            if (end > 0) {
                sink.applyAsInt(header.start(), end);
                from = end;
            } else {
                from = header.end();
            }
        }
    }

    /** The end of the key block whose header ends at {@code pos}, or -1 if no key material follows. */
    private static int scanKeyBody(String t, int pos, Matcher footer) {
        int n = t.length();
        int i = pos;
        int consumedEnd = pos;
        int base64 = 0;
        boolean headers = true;
        while (true) {
            int j = i;
            boolean lineBreak = false;
            while (j < n) { // separators
                int sep = separatorLength(t, j);
                if (sep == 0) {
                    break;
                }
                lineBreak |= isLineBreak(t, j);
                j += sep;
            }
            if (j >= n) {
                break;
            }
            if (t.startsWith("-----END ", j)) {
                footer.region(j, Math.min(n, j + 80));
                if (footer.lookingAt() && base64 >= MIN_KEY_BODY) {
                    return footer.end();
                }
                break;
            }
            if (headers && lineBreak) {
                int lineEnd = headerLineEnd(t, j);
                if (lineEnd > 0) {
                    i = lineEnd;
                    continue;
                }
            }
            int k = j;
            while (k < n && isBase64(t.charAt(k))) {
                k++;
            }
            int run = k - j;
            if (run == 0) {
                break;
            }
            boolean endsAtSeparator = k == n || separatorLength(t, k) > 0 || t.startsWith("-----END ", k);
            boolean wholeLine = lineBreak && (k == n || isLineBreak(t, k));
            if (!endsAtSeparator || (run < 16 && !wholeLine && !footerFollows(t, k))) {
                break;
            }
            base64 += run;
            consumedEnd = k;
            headers = false;
            i = k;
        }
        return base64 >= MIN_KEY_BODY ? consumedEnd : -1;
    }

    /** Length of the separator at {@code i}: white space, or a written {@code \n}, {@code \r}, {@code \t}. */
    private static int separatorLength(String t, int i) {
        char c = t.charAt(i);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            return 1;
        }
        if (c == '\\' && i + 1 < t.length() && "nrt".indexOf(t.charAt(i + 1)) >= 0) {
            return 2;
        }
        return 0;
    }

    private static boolean isLineBreak(String t, int i) {
        char c = t.charAt(i);
        return c == '\n' || c == '\r' || (c == '\\' && i + 1 < t.length() && "nr".indexOf(t.charAt(i + 1)) >= 0);
    }

    private static boolean footerFollows(String t, int i) {
        int j = i;
        while (j < t.length() && j - i < 8 && separatorLength(t, j) > 0) {
            j += separatorLength(t, j);
        }
        return t.startsWith("-----END ", j);
    }

    /** End of a "Name: value" header line starting at {@code i}, or -1. */
    private static int headerLineEnd(String t, int i) {
        int j = i;
        while (j < t.length() && j - i < 32 && (Character.isLetterOrDigit(t.charAt(j)) || t.charAt(j) == '-')) {
            j++;
        }
        if (j == i || j + 1 >= t.length() || t.charAt(j) != ':' || t.charAt(j + 1) != ' ') {
            return -1;
        }
        int k = j;
        while (k < t.length() && k - i < 256 && !isLineBreak(t, k)) {
            k++;
        }
        return k < t.length() && isLineBreak(t, k) ? k : -1;
    }

    private static boolean isBase64(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
    }
}
