package dev.docrag.core.load;

import dev.docrag.core.Document;

import java.util.Iterator;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Markdown, kept as its source text (which reads well and keeps code blocks intact); the first
 * level-one ATX heading ({@code # Title}) outside fenced code blocks, if any, is the title.
 */
final class MarkdownLoader implements DocumentLoader {
    /** CommonMark: up to 3 spaces of indent, '#', a space or tab, an optional closing run of '#' after a space. */
    private static final Pattern H1 = Pattern.compile("^ {0,3}#[ \\t]+(.*?)(?:[ \\t]+#+)?[ \\t]*$");
    private static final Pattern FENCE = Pattern.compile("^ {0,3}(`{3,}|~{3,})");

    @Override
    public Document load(String id, String source, String name, String content) {
        return new Document(id, source, title(content, name), content, Map.of("type", "markdown"));
    }

    private static String title(String content, String fallback) {
        String fence = null; // the run of ` or ~ that opened the code block we are in
        for (Iterator<String> lines = content.lines().iterator(); lines.hasNext(); ) {
            String line = lines.next();
            Matcher f = FENCE.matcher(line);
            if (fence == null) {
                if (f.find()) {
                    fence = f.group(1);
                    continue;
                }
                Matcher h = H1.matcher(line);
                if (h.matches() && !h.group(1).isBlank()) {
                    return h.group(1).strip();
                }
            } else if (f.find() && f.group(1).charAt(0) == fence.charAt(0) && f.group(1).length() >= fence.length()
                    && line.substring(f.end()).isBlank()) {
                fence = null;
            }
        }
        return fallback;
    }
}
