package dev.docrag.examples.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A structural reading of a folder of Terraform files, enough to check them without the terraform
 * binary (not packaged for Debian, and no cloud calls in tests): the top-level blocks
 * ({@code resource}, {@code data}, {@code variable}...) with their bodies, found with a scanner
 * that knows strings, interpolations and comments; the references between them; and the layout
 * rules of {@code terraform fmt} (two-space indentation per line that opens brackets, {@code =} aligned in
 * runs of one-line attributes, no tabs or trailing spaces).
 */
record Terraform(Map<String, String> resources, Map<String, String> data, Map<String, String> variables,
                 Set<String> variableReferences, Set<String> resourceReferences, Set<String> dataReferences,
                 List<String> formatProblems) {
    private static final Pattern BLOCK = Pattern.compile("^(resource|data|variable|output|provider|terraform|locals|module)((?:\\s+\"[^\"]*\")*)\\s*\\{\\s*$");
    private static final Pattern LABEL = Pattern.compile("\"([^\"]*)\"");
    private static final Pattern VAR_REF = Pattern.compile("(?<![\\w.])var\\.([A-Za-z_][\\w-]*)");
    private static final Pattern DATA_REF = Pattern.compile("(?<![\\w.])data\\.([a-z][\\w]*)\\.([A-Za-z_][\\w-]*)");
    private static final Pattern RESOURCE_REF = Pattern.compile("(?<![\\w.\"])(aws_[a-z0-9_]+)\\.([A-Za-z_][\\w-]*)");
    private static final Pattern ATTRIBUTE = Pattern.compile("^(\\s*)([A-Za-z_][\\w-]*|\"[^\"]+\")(\\s*)=(?!=)");

    static Terraform load(Path dir) throws IOException {
        Map<String, String> resources = new LinkedHashMap<>();
        Map<String, String> data = new LinkedHashMap<>();
        Map<String, String> variables = new LinkedHashMap<>();
        Set<String> varRefs = new TreeSet<>();
        Set<String> resRefs = new TreeSet<>();
        Set<String> dataRefs = new TreeSet<>();
        List<String> problems = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.toString().endsWith(".tf")).sorted().toList();
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no .tf files in " + dir);
        }
        for (Path file : files) {
            String name = file.getFileName().toString();
            List<String> lines = Files.readAllLines(file);
            List<String> code = new ArrayList<>(); // the same lines with comments and string contents blanked
            int[] depthBefore = new int[lines.size()];
            int depth = 0; // brackets open
            int level = 0; // indentation levels open: like terraform fmt, a line opening several brackets opens one level
            boolean blockComment = false;
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                if (line.contains("\t")) {
                    problems.add(name + ":" + (i + 1) + ": tab");
                }
                if (!line.equals(line.stripTrailing())) {
                    problems.add(name + ":" + (i + 1) + ": trailing whitespace");
                }
                depthBefore[i] = level;
                int depthAtStart = depth;
                StringBuilder c = new StringBuilder();
                int interp = 0; // open ${ } inside a string
                boolean inString = false;
                for (int k = 0; k < line.length(); k++) {
                    char ch = line.charAt(k);
                    char next = k + 1 < line.length() ? line.charAt(k + 1) : 0;
                    if (blockComment) {
                        if (ch == '*' && next == '/') {
                            blockComment = false;
                            k++;
                        }
                        c.append(' ');
                        continue;
                    }
                    if (inString && interp == 0) {
                        if (ch == '\\') {
                            c.append("  ");
                            k++;
                        } else if (ch == '"') {
                            inString = false;
                            c.append('"');
                        } else if (ch == '$' && next == '{') {
                            interp = 1;
                            c.append("${");
                            k++;
                        } else {
                            c.append(ch == ' ' ? ' ' : 'x');
                        }
                        continue;
                    }
                    if (ch == '#' || (ch == '/' && next == '/')) {
                        break;
                    }
                    if (ch == '/' && next == '*') {
                        blockComment = true;
                        k++;
                        continue;
                    }
                    if (ch == '"') {
                        inString = true;
                        c.append('"');
                        continue;
                    }
                    if (inString) { // inside an interpolation: code again, until its closing brace
                        if (ch == '{') {
                            interp++;
                        } else if (ch == '}' && --interp == 0) {
                            c.append('}');
                            continue;
                        }
                        c.append(ch);
                        continue;
                    }
                    if (ch == '{' || ch == '[' || ch == '(') {
                        depth++;
                    } else if (ch == '}' || ch == ']' || ch == ')') {
                        depth--;
                    }
                    c.append(ch);
                }
                if (inString) {
                    problems.add(name + ":" + (i + 1) + ": unterminated string");
                }
                level += Integer.signum(depth - depthAtStart);
                code.add(c.toString());
            }
            if (depth != 0) {
                problems.add(name + ": unbalanced brackets (" + depth + " open at the end)");
            }
            // Indentation: two spaces per level open before the line (one less for a closing line).
            for (int i = 0; i < lines.size(); i++) {
                String trimmed = code.get(i).strip();
                if (lines.get(i).isBlank()) {
                    continue;
                }
                int expected = depthBefore[i] - (trimmed.startsWith("}") || trimmed.startsWith("]") || trimmed.startsWith(")") ? 1 : 0);
                int actual = lines.get(i).length() - lines.get(i).stripLeading().length();
                if (actual != 2 * expected) {
                    problems.add(name + ":" + (i + 1) + ": indented " + actual + ", expected " + 2 * expected);
                }
            }
            // Alignment: in a run of consecutive one-line attributes at one depth, '=' in one column.
            List<Integer> run = new ArrayList<>();
            for (int i = 0; i <= lines.size(); i++) {
                boolean oneLineAttribute = false;
                if (i < lines.size()) {
                    Matcher a = ATTRIBUTE.matcher(code.get(i));
                    int opened = i + 1 < lines.size() ? depthBefore[i + 1] - depthBefore[i] : 0;
                    oneLineAttribute = a.find() && opened == 0;
                    if (oneLineAttribute && !run.isEmpty() && depthBefore[run.getLast()] != depthBefore[i]) {
                        checkAlignment(name, run, code, problems);
                        run.clear();
                    }
                }
                if (oneLineAttribute) {
                    run.add(i);
                } else {
                    checkAlignment(name, run, code, problems);
                    run.clear();
                }
            }
            // Blocks and references.
            for (int i = 0; i < lines.size(); i++) {
                String c = code.get(i);
                Matcher v = VAR_REF.matcher(c);
                while (v.find()) {
                    varRefs.add(v.group(1));
                }
                Matcher d = DATA_REF.matcher(c);
                while (d.find()) {
                    dataRefs.add(d.group(1) + "." + d.group(2));
                }
                Matcher r = RESOURCE_REF.matcher(c.replaceAll("data\\.aws_", "data.x_"));
                while (r.find()) {
                    resRefs.add(r.group(1) + "." + r.group(2));
                }
                if (depthBefore[i] != 0) {
                    continue;
                }
                Matcher b = BLOCK.matcher(lines.get(i).strip());
                if (!b.matches()) {
                    if (!lines.get(i).isBlank() && !lines.get(i).strip().startsWith("#") && !c.strip().equals("}")) {
                        problems.add(name + ":" + (i + 1) + ": not a top-level block: " + lines.get(i).strip());
                    }
                    continue;
                }
                List<String> labels = new ArrayList<>();
                Matcher l = LABEL.matcher(b.group(2));
                while (l.find()) {
                    labels.add(l.group(1));
                }
                int end = i + 1;
                while (end < lines.size() && depthBefore[end] > 0 && !(depthBefore[end] == 1 && code.get(end).strip().equals("}"))) {
                    end++;
                }
                String body = String.join("\n", lines.subList(i, Math.min(end + 1, lines.size())));
                String key = String.join(".", labels);
                Map<String, String> target = switch (b.group(1)) {
                    case "resource" -> resources;
                    case "data" -> data;
                    case "variable" -> variables;
                    default -> null;
                };
                if (target != null && target.put(key, body) != null) {
                    problems.add(name + ":" + (i + 1) + ": " + b.group(1) + " " + key + " declared twice");
                }
            }
        }
        return new Terraform(resources, data, variables, varRefs, resRefs, dataRefs, problems);
    }

    private static void checkAlignment(String file, List<Integer> run, List<String> code, List<String> problems) {
        if (run.size() < 2) {
            return;
        }
        int column = -1;
        for (int i : run) {
            Matcher a = ATTRIBUTE.matcher(code.get(i));
            a.find();
            int eq = a.end() - 1;
            int nameEnd = a.end(2);
            if (column < 0) {
                column = eq;
            }
            if (eq != column) {
                problems.add(file + ":" + (i + 1) + ": '=' in column " + (eq + 1) + ", the run above has it in " + (column + 1));
            }
            if (eq - nameEnd < 1) {
                problems.add(file + ":" + (i + 1) + ": no space before '='");
            }
        }
        // terraform fmt pads to the longest name plus one space.
        int longest = run.stream().mapToInt(i -> {
            Matcher a = ATTRIBUTE.matcher(code.get(i));
            a.find();
            return a.end(2);
        }).max().orElse(0);
        if (column != longest + 1) {
            problems.add(file + ":" + (run.getFirst() + 1) + ": '=' of this run belongs in column " + (longest + 2));
        }
    }

    /** The body of the only resource of {@code type}. */
    String resource(String type) {
        List<String> bodies = resources.entrySet().stream().filter(e -> e.getKey().startsWith(type + ".")).map(Map.Entry::getValue).toList();
        if (bodies.size() != 1) {
            throw new AssertionError("expected one " + type + ", found " + bodies.size() + " in " + resources.keySet());
        }
        return bodies.getFirst();
    }
}
