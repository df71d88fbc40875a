package dev.docrag.core.load;

import dev.docrag.core.Document;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Markdown, kept as its source text (which reads well and keeps code blocks intact); the first
 * level-one heading, if any, is the title.
 */
final class MarkdownLoader implements DocumentLoader {
    private static final Pattern H1 = Pattern.compile("^#\\s+(.+?)\\s*#*\\s*$", Pattern.MULTILINE);

    @Override
    public Document load(String id, String source, String name, String content) {
        Matcher m = H1.matcher(content);
        String title = m.find() ? m.group(1) : name;
        return new Document(id, source, title, content, Map.of("type", "markdown"));
    }
}
