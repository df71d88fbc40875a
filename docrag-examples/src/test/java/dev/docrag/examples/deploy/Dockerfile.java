package dev.docrag.examples.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A Dockerfile read into its instructions (continuation lines joined, comments dropped), by stage. */
record Dockerfile(List<List<Instruction>> stages) {
    record Instruction(String keyword, String arguments, int line) {
    }

    static Dockerfile parse(Path file) throws IOException {
        List<List<Instruction>> stages = new ArrayList<>();
        List<String> lines = Files.readAllLines(file);
        StringBuilder pending = new StringBuilder();
        int start = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (pending.isEmpty() && (line.isEmpty() || line.startsWith("#"))) {
                continue;
            }
            if (!pending.isEmpty() && line.startsWith("#")) {
                continue; // a comment inside a continued instruction
            }
            if (pending.isEmpty()) {
                start = i + 1;
            }
            if (line.endsWith("\\")) {
                pending.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            pending.append(line);
            String text = pending.toString().strip();
            pending.setLength(0);
            int space = text.indexOf(' ');
            String keyword = (space < 0 ? text : text.substring(0, space)).toUpperCase(Locale.ROOT);
            String args = space < 0 ? "" : text.substring(space + 1).strip();
            if (keyword.equals("FROM")) {
                stages.add(new ArrayList<>());
            }
            if (stages.isEmpty()) {
                if (keyword.equals("ARG")) {
                    continue; // global build arguments precede the first FROM
                }
                throw new IllegalArgumentException(file + ":" + start + ": " + keyword + " before the first FROM");
            }
            stages.getLast().add(new Instruction(keyword, args, start));
        }
        return new Dockerfile(stages);
    }

    List<Instruction> finalStage() {
        return stages.getLast();
    }

    /** The last {@code keyword} instruction of the final stage, or null. */
    Instruction last(String keyword) {
        Instruction found = null;
        for (Instruction i : finalStage()) {
            if (i.keyword().equals(keyword)) {
                found = i;
            }
        }
        return found;
    }

    /** The exec-form (JSON array) arguments of the final stage's last {@code keyword}. */
    List<String> finalStageJsonArray(String keyword) throws IOException {
        Instruction i = last(keyword);
        if (i == null) {
            throw new IllegalArgumentException("no " + keyword + " in the final stage");
        }
        JsonNode array = new ObjectMapper().readTree(i.arguments());
        if (!array.isArray()) {
            throw new IllegalArgumentException(keyword + " is not in exec form: " + i.arguments());
        }
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
