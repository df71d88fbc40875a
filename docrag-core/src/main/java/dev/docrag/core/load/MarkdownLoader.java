package dev.docrag.core.load;

import dev.docrag.core.Block;
import dev.docrag.core.Document;
import dev.docrag.core.DocumentProblem;
import dev.docrag.core.Section;
import org.commonmark.node.Code;
import org.commonmark.node.FencedCodeBlock;
import org.commonmark.node.IndentedCodeBlock;
import org.commonmark.node.Heading;
import org.commonmark.node.HardLineBreak;
import org.commonmark.node.Node;
import org.commonmark.node.SoftLineBreak;
import org.commonmark.node.Text;
import org.commonmark.node.SourceSpan;
import org.commonmark.parser.IncludeSourceSpans;
import org.commonmark.parser.Parser;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Markdown, kept as its source text (which reads well, keeps code blocks intact and lets chunk
 * offsets point into it) minus any YAML front matter.
 *
 * <p><b>Front matter</b>: a first line {@code ---}, closed by a line {@code ---} or {@code ...}.
 * Its keys become metadata: {@code title} is the title, {@code tags} (a flow list
 * {@code [a, b]}, a block list of {@code - a} lines, or a scalar) becomes the comma-joined
 * {@code tags}, other scalar keys are kept as strings; nested mappings are dropped. The subset of
 * YAML read is {@code key: value} lines with plain, single- or double-quoted scalars, lists,
 * comments and blank lines; anything else inside closed front matter fails the document with
 * {@link DocumentProblem#MALFORMED}, naming the line. An opening {@code ---} that is never closed
 * is not front matter (it is a thematic break) and stays in the text.
 *
 * <p><b>Title</b>: the front matter's {@code title}, else the first level-one heading (ATX or
 * setext, as CommonMark parses it, so never a {@code #} line inside fenced code), else the file
 * name. The key {@code type} is always {@code markdown}.
 *
 * <p><b>Sections</b>: every top-level heading (ATX or setext; not one inside a block quote, a list
 * or fenced code) starts a {@link Section} at the start of its line, ending where the next one
 * starts; its breadcrumb is the path of enclosing headings by level. Top-level fenced and indented
 * code blocks become {@link Block}s, kept whole by the chunker when they fit. Stateless and
 * thread-safe.
 */
final class MarkdownLoader implements DocumentLoader {
    private static final Pattern OPEN = Pattern.compile("\\A\\uFEFF?---[ \\t]*\\r?\\n");
    // UNIX_LINES: lines end at \n (the parser splits at \r?\n), not at U+0085 or U+2028, which
    // may appear inside a value
    private static final Pattern CLOSE = Pattern.compile("^(?:---|\\.\\.\\.)[ \\t]*(?:\\r?\\n|\\z)",
            Pattern.MULTILINE | Pattern.UNIX_LINES);
    private static final Pattern KEY_VALUE = Pattern.compile("([A-Za-z0-9_][A-Za-z0-9_.-]*)[ \\t]*:(?:[ \\t]+(.*?))?[ \\t]*",
            Pattern.UNIX_LINES);
    private static final Pattern ITEM = Pattern.compile("[ \\t]*-(?:[ \\t]+(.*?))?[ \\t]*", Pattern.UNIX_LINES);
    private static final Pattern NESTED = Pattern.compile("[ \\t]+[A-Za-z0-9_][A-Za-z0-9_.-]*[ \\t]*:.*", Pattern.UNIX_LINES);

    private final Parser parser = Parser.builder().includeSourceSpans(IncludeSourceSpans.BLOCKS).build();

    @Override
    public Document load(String id, String source, String name, String content) {
        Map<String, String> metadata = new LinkedHashMap<>();
        String text = content;
        Matcher open = OPEN.matcher(content);
        if (open.find()) {
            Matcher close = CLOSE.matcher(content);
            if (close.find(open.end())) {
                metadata.putAll(frontMatter(source, content.substring(open.end(), close.start())));
                text = content.substring(close.end());
            }
        }
        Node parsed = parser.parse(text);
        List<Outline.Heading> headings = headings(parsed, text);
        String title = metadata.remove("title");
        if (title == null || title.isBlank()) {
            title = headings.stream().filter(h -> h.level() == 1).map(Outline.Heading::text).findFirst().orElse(null);
        }
        metadata.put("type", "markdown");
        return new Document(id, source, title == null ? name : title, text, metadata, Outline.sections(headings, text.length()),
                List.of(), codeBlocks(parsed, text));
    }


    /** Fenced and indented code blocks at the top level, from the start of their first line. */
    private static List<Block> codeBlocks(Node doc, String text) {
        List<Block> out = new ArrayList<>();
        for (Node n = doc.getFirstChild(); n != null; n = n.getNext()) {
            if ((n instanceof FencedCodeBlock || n instanceof IndentedCodeBlock) && !n.getSourceSpans().isEmpty()) {
                SourceSpan first = n.getSourceSpans().get(0);
                SourceSpan last = n.getSourceSpans().get(n.getSourceSpans().size() - 1);
                int start = Math.max(0, first.getInputIndex() - first.getColumnIndex());
                int end = Math.min(text.length(), last.getInputIndex() + last.getLength());
                if (end > start && (out.isEmpty() || start >= out.get(out.size() - 1).end())) {
                    out.add(new Block(start, end));
                }
            }
        }
        return out;
    }

    /** The top-level headings with non-blank text, in order, each at the start of its line. */
    private static List<Outline.Heading> headings(Node doc, String text) {
        List<Outline.Heading> out = new ArrayList<>();
        for (Node n = doc.getFirstChild(); n != null; n = n.getNext()) {
            if (n instanceof Heading heading && !heading.getSourceSpans().isEmpty()) {
                StringBuilder sb = new StringBuilder();
                collect(heading, sb);
                String t = sb.toString().strip();
                if (t.isEmpty()) {
                    continue;
                }
                SourceSpan span = heading.getSourceSpans().get(0);
                int at = Math.min(text.length(), Math.max(0, span.getInputIndex() - span.getColumnIndex()));
                if (out.isEmpty() || at > out.get(out.size() - 1).offset()) {
                    out.add(new Outline.Heading(at, heading.getLevel(), t));
                }
            }
        }
        return out;
    }


    private static void collect(Node node, StringBuilder out) {
        for (Node n = node.getFirstChild(); n != null; n = n.getNext()) {
            if (n instanceof Text t) {
                out.append(t.getLiteral());
            } else if (n instanceof Code c) {
                out.append(c.getLiteral());
            } else if (n instanceof SoftLineBreak || n instanceof HardLineBreak) {
                out.append(' ');
            } else {
                collect(n, out);
            }
        }
    }

    /** The front matter's keys; a list value is comma-joined. */
    static Map<String, String> frontMatter(String source, String yaml) {
        Map<String, String> out = new LinkedHashMap<>();
        String listKey = null; // the key whose value was empty: block list items or a nested map may follow
        List<String> items = new ArrayList<>();
        boolean nested = false;
        String[] lines = yaml.split("\\r?\\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.isBlank() || line.stripLeading().startsWith("#")) {
                continue;
            }
            Matcher item = ITEM.matcher(line);
            if (listKey != null && !nested && item.matches()) {
                items.add(scalar(source, i, item.group(1) == null ? "" : item.group(1)));
                continue;
            }
            if (listKey != null && items.isEmpty() && NESTED.matcher(line).matches()) {
                nested = true; // a nested mapping: not a scalar, dropped
                continue;
            }
            if (listKey != null) {
                if (!nested) {
                    out.put(listKey, String.join(",", items));
                }
                listKey = null;
                items.clear();
                nested = false;
            }
            Matcher kv = KEY_VALUE.matcher(line);
            if (!kv.matches()) {
                throw malformed(source, i, "expected 'key: value'");
            }
            String key = kv.group(1);
            String value = kv.group(2);
            if (value == null || value.isEmpty() || value.startsWith("#")) {
                listKey = key;
            } else if (value.startsWith("[")) {
                if (!value.endsWith("]")) {
                    throw malformed(source, i, "unclosed '['");
                }
                List<String> flow = new ArrayList<>();
                for (String part : value.substring(1, value.length() - 1).split(",")) {
                    if (!part.isBlank()) {
                        flow.add(scalar(source, i, part.strip()));
                    }
                }
                out.put(key, String.join(",", flow));
            } else if (value.startsWith("{") || value.startsWith("|") || value.startsWith(">")) {
                continue; // mappings and block scalars are not scalars we keep
            } else {
                out.put(key, scalar(source, i, value));
            }
        }
        if (listKey != null && !nested) {
            out.put(listKey, String.join(",", items));
        }
        return out;
    }

    private static String scalar(String source, int line, String v) {
        if (v.startsWith("\"") || v.startsWith("'")) {
            char q = v.charAt(0);
            int end = v.lastIndexOf(q);
            if (end == 0 || !v.substring(end + 1).isBlank() && !v.substring(end + 1).strip().startsWith("#")) {
                throw malformed(source, line, "unclosed or trailing text after quote " + q);
            }
            String inner = v.substring(1, end);
            return q == '\'' ? inner.replace("''", "'") : inner.replace("\\\"", "\"").replace("\\\\", "\\");
        }
        int comment = v.indexOf(" #");
        return (comment >= 0 ? v.substring(0, comment) : v).strip();
    }

    private static LoadException malformed(String source, int line, String detail) {
        // line + 2: one for 1-based numbering, one for the opening '---'
        return new LoadException(source, DocumentProblem.MALFORMED, "front matter line " + (line + 2) + ": " + detail);
    }
}
