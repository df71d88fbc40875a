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

    private static String firstHeading(org.jsoup.nodes.Document html, String fallback) {
        Element h = html.selectFirst("h1, h2");
        return h == null || h.text().isBlank() ? fallback : h.text();
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
                    String s = t.text();
                    if (!s.isBlank()) {
                        if (!out.isEmpty() && !Character.isWhitespace(out.charAt(out.length() - 1))
                                && Character.isWhitespace(t.getWholeText().charAt(0))) {
                            out.append(' ');
                        }
                        out.append(s.strip());
                        if (Character.isWhitespace(t.getWholeText().charAt(t.getWholeText().length() - 1))) {
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
