package dev.docrag.core.load;

import dev.docrag.core.Document;

import java.util.Map;

/** Plain text: the content is the text, the file name the title. */
final class TextLoader implements DocumentLoader {
    @Override
    public Document load(String id, String source, String name, String content) {
        return new Document(id, source, name, content, Map.of("type", "text"));
    }
}
