package dev.docrag.core.load;

import dev.docrag.core.Section;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns the headings a loader found, in text order, into {@link Section}s: each heading starts a
 * section that ends where the next one starts, and its breadcrumb is the path of the headings
 * above it by level (a level-2 heading closes every deeper one). Shared by the Markdown and HTML
 * loaders so that both structure documents the same way.
 */
final class Outline {
    private Outline() {
    }

    /**
     * A heading of a document.
     *
     * @param offset where its section starts in the text
     * @param level  1 (outermost) to 6
     * @param text   the heading's text
     */
    record Heading(int offset, int level, String text) {
    }

    /** The sections of a text of {@code length} characters; empty sections are left out. */
    static List<Section> sections(List<Heading> headings, int length) {
        List<Section> out = new ArrayList<>();
        String[] path = new String[7];
        for (int i = 0; i < headings.size(); i++) {
            Heading h = headings.get(i);
            int start = Math.min(length, Math.max(0, h.offset()));
            int end = i + 1 < headings.size() ? Math.min(length, Math.max(0, headings.get(i + 1).offset())) : length;
            path[h.level()] = h.text();
            Arrays.fill(path, h.level() + 1, path.length, null);
            List<String> crumb = new ArrayList<>();
            for (String p : path) {
                if (p != null) {
                    crumb.add(p);
                }
            }
            if (end > start) {
                out.add(new Section(crumb, start, end));
            }
        }
        return out;
    }
}
