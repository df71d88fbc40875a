package dev.docrag.index;

import dev.docrag.core.Chunk;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Derives each chunk's heading breadcrumb from Markdown ATX headings ({@code # Title},
 * {@code ## Section}) in the document text: the headings in force where the chunk's content
 * begins, outermost first. Headings at the very start of a chunk count, since they introduce its
 * content. Headings inside fenced code blocks are ignored. Text without such
 * headings (plain text, HTML after extraction) gets empty breadcrumbs. Structure-aware chunking,
 * planned in docrag-core, will hand these down directly; until then this recovers them here.
 */
final class Headings {
    private static final Pattern ATX = Pattern.compile("^ {0,3}(#{1,6})[ \\t]+(.+?)(?:[ \\t]+#+)?[ \\t]*$", Pattern.MULTILINE);
    private static final Pattern FENCE = Pattern.compile("^ {0,3}(```|~~~)", Pattern.MULTILINE);

    private Headings() {
    }

    private record Heading(int offset, int level, String text) {
    }

    /** One breadcrumb per chunk, in chunk order. */
    static List<List<String>> breadcrumbs(String text, List<Chunk> chunks) {
        List<Heading> headings = headings(text);
        List<List<String>> out = new ArrayList<>(chunks.size());
        for (Chunk c : chunks) {
            int content = contentStart(text, c);
            String[] stack = new String[7];
            for (Heading h : headings) {
                if (h.offset >= content) {
                    break;
                }
                stack[h.level] = h.text;
                for (int l = h.level + 1; l < stack.length; l++) {
                    stack[l] = null;
                }
            }
            List<String> crumb = new ArrayList<>();
            for (String s : stack) {
                if (s != null) {
                    crumb.add(s);
                }
            }
            out.add(List.copyOf(crumb));
        }
        return out;
    }

    /** Where the chunk's first line that is neither blank nor a heading begins (its end if none). */
    private static int contentStart(String text, Chunk c) {
        int at = c.start();
        while (at < c.end()) {
            int eol = text.indexOf('\n', at);
            int lineEnd = eol < 0 || eol > c.end() ? c.end() : eol;
            String line = text.substring(at, lineEnd);
            if (!line.isBlank() && !ATX.matcher(line).matches()) {
                return at;
            }
            at = lineEnd + 1;
        }
        return c.end();
    }

    private static List<Heading> headings(String text) {
        List<int[]> fences = new ArrayList<>(); // [start, end) of fenced blocks
        Matcher f = FENCE.matcher(text);
        int open = -1;
        while (f.find()) {
            if (open < 0) {
                open = f.start();
            } else {
                fences.add(new int[] {open, f.end()});
                open = -1;
            }
        }
        if (open >= 0) {
            fences.add(new int[] {open, text.length()});
        }
        List<Heading> out = new ArrayList<>();
        Matcher m = ATX.matcher(text);
        while (m.find()) {
            int at = m.start();
            boolean fenced = fences.stream().anyMatch(r -> at >= r[0] && at < r[1]);
            if (!fenced) {
                out.add(new Heading(at, m.group(1).length(), m.group(2).strip()));
            }
        }
        return out;
    }
}
