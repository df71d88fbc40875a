package dev.docrag.core.load;

import dev.docrag.core.Block;
import dev.docrag.core.Document;
import dev.docrag.core.DocumentProblem;
import dev.docrag.core.Section;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;
import org.jsoup.select.NodeVisitor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * HTML through jsoup: the title, and the visible text of the main content with block elements
 * separated by blank lines so that the chunker sees paragraphs. Scripts, styles, navigation,
 * headers, footers, forms and the ARIA landmarks for navigation, search, banner and footer are
 * dropped as boilerplate, as are the pilcrow permalinks Sphinx and MkDocs put in headings. When
 * the page marks its main content ({@code <main>} or {@code role="main"}) and that holds text,
 * only it is kept: documentation pages carry sidebars and tables of contents that would otherwise
 * turn up in every search. Headings {@code h1}..{@code h6} of the kept content become
 * {@link Section}s whose breadcrumb is the path of enclosing headings by level; {@code <pre>}
 * elements become {@link Block}s, kept whole by the chunker when they fit.
 */
final class HtmlLoader implements DocumentLoader {
    private static final String BOILERPLATE = "script, style, noscript, template, nav, header, footer, form, iframe, svg, "
            + "[role=navigation], [role=search], [role=banner], [role=contentinfo], a.headerlink";

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
        Element root = html.body();
        Element main = html.selectFirst("main, [role=main]");
        if (main != null && !main.text().isBlank()) {
            root = main;
        }
        StringBuilder text = new StringBuilder();
        BlockTextVisitor visitor = new BlockTextVisitor(text);
        root.traverse(visitor);
        int lead = 0;
        while (lead < text.length() && Character.isWhitespace(text.charAt(lead))) {
            lead++;
        }
        String stripped = text.toString().strip();
        int shift = lead;
        return new Document(id, source, title, stripped, Map.of("type", "html"),
                Outline.sections(visitor.headings.stream()
                        .map(h -> new Outline.Heading(h.offset() - shift, h.level(), h.text())).toList(), stripped.length()), List.of(), blocks(visitor.pres, lead, stripped.length()));
    }


    /** The outermost {@code <pre>} elements' text, shifted like the text. */
    private static List<Block> blocks(List<int[]> pres, int lead, int length) {
        List<Block> out = new ArrayList<>();
        for (int[] p : pres) {
            int start = Math.min(length, Math.max(0, p[0] - lead));
            int end = Math.min(length, Math.max(0, p[1] - lead));
            if (end > start && (out.isEmpty() || start >= out.get(out.size() - 1).end())) {
                out.add(new Block(start, end));
            }
        }
        return out;
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
        private final List<Outline.Heading> headings = new ArrayList<>();
        private final List<int[]> pres = new ArrayList<>();
        private int preDepth;
        private int preStart;

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
                if (e.isBlock() || e.nameIs("br")) {
                    breakBlock(e.nameIs("br") || e.nameIs("li") ? "\n" : "\n\n");
                }
                if (e.nameIs("pre") && preDepth++ == 0) {
                    preStart = out.length();
                }
                int level = headingLevel(e);
                if (level > 0) {
                    String heading = e.text().strip();
                    if (!heading.isEmpty()) {
                        headings.add(new Outline.Heading(out.length(), level, heading));
                    }
                }
            }
        }

        @Override
        public void tail(Node node, int depth) {
            if (node instanceof Element e) {
                if (e.nameIs("pre") && --preDepth == 0) {
                    int end = out.length();
                    while (end > preStart && out.charAt(end - 1) == ' ') { // breakBlock trims these
                        end--;
                    }
                    pres.add(new int[] {preStart, end});
                }
                if (e.isBlock()) {
                    breakBlock(e.nameIs("li") ? "\n" : "\n\n");
                }
            }
        }

        private static int headingLevel(Element e) {
            String tag = e.normalName();
            return tag.length() == 2 && tag.charAt(0) == 'h' && tag.charAt(1) >= '1' && tag.charAt(1) <= '6' ? tag.charAt(1) - '0' : 0;
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
