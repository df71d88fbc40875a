package dev.docrag.core.load;

import dev.docrag.core.Document;
import dev.docrag.core.DocumentProblem;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;
import org.jsoup.select.NodeVisitor;

import java.util.Map;

/**
 * HTML through jsoup: the title, and the visible text of the body with block elements separated
 * by blank lines so that the chunker sees paragraphs. Scripts, styles, navigation, headers,
 * footers and forms are dropped as boilerplate.
 */
final class HtmlLoader implements DocumentLoader {
    private static final String BOILERPLATE = "script, style, noscript, template, nav, header, footer, form, iframe, svg";

    @Override
    public Document load(String id, String source, String name, String content) {
        org.jsoup.nodes.Document html;
        try {
            html = Jsoup.parse(content);
        } catch (RuntimeException e) {
            throw new LoadException(source, DocumentProblem.MALFORMED, "HTML could not be parsed: " + e.getMessage(), e);
        }
        html.select(BOILERPLATE).remove();
        String title = html.title().isBlank() ? firstHeading(html, name) : html.title().strip();
        StringBuilder text = new StringBuilder();
        html.body().traverse(new BlockTextVisitor(text));
        return new Document(id, source, title, text.toString().strip(), Map.of("type", "html"));
    }

    /** The first non-blank h1, else the first non-blank h2 (an h2 above the h1 is a section, not the title). */
    private static String firstHeading(org.jsoup.nodes.Document html, String fallback) {
        for (String tag : new String[] {"h1", "h2"}) {
            for (Element h : html.select(tag)) {
                if (!h.text().isBlank()) {
                    return h.text();
                }
            }
        }
        return fallback;
    }

    /** Appends text nodes, collapsing white space except inside pre, and a blank line around blocks. */
    private static final class BlockTextVisitor implements NodeVisitor {
        private final StringBuilder out;
        private int preDepth;

        BlockTextVisitor(StringBuilder out) {
            this.out = out;
        }

        @Override
        public void head(Node node, int depth) {
            if (node instanceof TextNode t) {
                if (preDepth > 0) {
                    out.append(t.getWholeText());
                } else {
                    // jsoup collapses white space, &nbsp; included, to single spaces. White space at
                    // either end separates this text from its neighbours (<b>a</b> <i>b</i>), so it
                    // becomes one space, unless a space or a block break is already there.
                    String s = t.text();
                    if (s.isEmpty()) {
                        return;
                    }
                    if (Character.isWhitespace(s.charAt(0)) && !out.isEmpty()
                            && !Character.isWhitespace(out.charAt(out.length() - 1))) {
                        out.append(' ');
                    }
                    String words = s.strip();
                    if (!words.isEmpty()) {
                        out.append(words);
                        if (Character.isWhitespace(s.charAt(s.length() - 1))) {
                            out.append(' ');
                        }
                    }
                }
            } else if (node instanceof Element e) {
                if (e.nameIs("pre")) {
                    preDepth++;
                }
                if (e.isBlock() || e.nameIs("br")) {
                    breakBlock(e.nameIs("br") || e.nameIs("li") ? "\n" : "\n\n");
                }
            }
        }

        @Override
        public void tail(Node node, int depth) {
            if (node instanceof Element e) {
                if (e.nameIs("pre")) {
                    preDepth--;
                }
                if (e.isBlock()) {
                    breakBlock(e.nameIs("li") ? "\n" : "\n\n");
                }
            }
        }

        private void breakBlock(String separator) {
            int end = out.length();
            while (end > 0 && out.charAt(end - 1) == ' ') {
                end--;
            }
            out.setLength(end);
            if (out.isEmpty()) {
                return;
            }
            int newlines = 0;
            for (int i = out.length() - 1; i >= 0 && out.charAt(i) == '\n'; i--) {
                newlines++;
            }
            for (int i = newlines; i < separator.length(); i++) {
                out.append('\n');
            }
        }
    }
}
