package dev.docrag.core.load;

import dev.docrag.core.Document;
import dev.docrag.core.Section;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The heading structure the Markdown and HTML loaders hand to the chunker. */
class SectionsTest {
    private static List<String> crumbs(Document doc) {
        return doc.sections().stream().map(s -> String.join(" > ", s.headings())).toList();
    }

    private static List<String> spans(Document doc) {
        return doc.sections().stream().map(s -> doc.text().substring(s.start(), s.end())).toList();
    }

    @Test
    void markdownHeadingsBecomeSectionsWithBreadcrumbs() {
        String md = """
                ---
                title: Guide
                ---
                Preface before any heading.

                # Tutorial

                Intro.

                ## Errors

                Setext follows.

                Handling Exceptions
                -------------------

                ```python
                # not a heading: inside fenced code
                try: pass
                ```

                > # not top-level: inside a block quote

                ### Deeper  ###
                Text.

                ## Classes
                Last.
                """;
        Document doc = new MarkdownLoader().load("g.md", "g.md", "g.md", md);
        assertThat(crumbs(doc)).containsExactly(
                "Tutorial",
                "Tutorial > Errors",
                "Tutorial > Handling Exceptions", // a setext '---' underline is level 2
                "Tutorial > Handling Exceptions > Deeper",
                "Tutorial > Classes");
        List<String> spans = spans(doc);
        assertThat(spans.get(0)).startsWith("# Tutorial").endsWith("Intro.\n\n");
        assertThat(spans.get(2)).startsWith("Handling Exceptions\n---").contains("# not a heading", "# not top-level");
        assertThat(spans.get(3)).startsWith("### Deeper");
        assertThat(spans.get(4)).isEqualTo("## Classes\nLast.\n");
        assertThat(doc.text().substring(0, doc.sections().get(0).start())).isEqualTo("Preface before any heading.\n\n");
        assertThat(doc.title()).isEqualTo("Guide");
        assertThat(doc.blocks()).extracting(b -> doc.text().substring(b.start(), b.end()))
                .containsExactly("```python\n# not a heading: inside fenced code\ntry: pass\n```");
    }

    @Test
    void markdownOffsetsHoldWithWindowsLineEndingsAndIndentedHeadings() {
        String md = "Intro\r\n\r\n  # One\r\nText one.\r\n\r\n   ## Two\r\nText two.\r\n";
        Document doc = new MarkdownLoader().load("w.md", "w.md", "w.md", md);
        assertThat(crumbs(doc)).containsExactly("One", "One > Two");
        assertThat(spans(doc)).containsExactly("  # One\r\nText one.\r\n\r\n", "   ## Two\r\nText two.\r\n");
        assertThat(doc.title()).isEqualTo("One");
    }

    @Test
    void markdownWithoutHeadingsHasNoSections() {
        Document doc = new MarkdownLoader().load("p.md", "p.md", "p.md", "Just a paragraph.\n\n    # indented code, not a heading\n");
        assertThat(doc.sections()).isEmpty();
        assertThat(doc.title()).isEqualTo("p.md");
    }

    @Test
    void htmlHeadingsBecomeSectionsOfTheMainContent() {
        String html = """
                <html><head><title>os — Python docs</title></head><body>
                <div role="navigation"><h3>Table of Contents</h3><ul><li>os</li></ul></div>
                <div class="sphinxsidebar"><div role="search">Quick search</div></div>
                <div class="body" role="main">
                  <h1>os — Miscellaneous interfaces<a class="headerlink" href="#os">¶</a></h1>
                  <p>Intro text.</p>
                  <h2>Process Parameters<a class="headerlink" href="#pp">¶</a></h2>
                  <p>Parameters text.</p>
                  <h3>Querying the size</h3>
                  <p>Size text.</p>
                  <h2>Files</h2>
                  <p>Files text.</p>
                </div>
                <footer>Copyright</footer>
                </body></html>
                """;
        Document doc = new HtmlLoader().load("os.html", "os.html", "os.html", html);
        assertThat(doc.text()).doesNotContain("Table of Contents", "Quick search", "Copyright", "¶")
                .startsWith("os — Miscellaneous interfaces");
        assertThat(crumbs(doc)).containsExactly(
                "os — Miscellaneous interfaces",
                "os — Miscellaneous interfaces > Process Parameters",
                "os — Miscellaneous interfaces > Process Parameters > Querying the size",
                "os — Miscellaneous interfaces > Files");
        assertThat(spans(doc)).containsExactly(
                "os — Miscellaneous interfaces\n\nIntro text.\n\n",
                "Process Parameters\n\nParameters text.\n\n",
                "Querying the size\n\nSize text.\n\n",
                "Files\n\nFiles text.");
        assertThat(doc.title()).isEqualTo("os — Python docs");
        assertThat(doc.blocks()).isEmpty();
        Document pre = new HtmlLoader().load("p.html", "p.html", "p.html",
                "<body><p>Run:</p><pre>  a = 1\n\n  b = 2  </pre><p>Done.</p></body>");
        assertThat(pre.blocks()).extracting(b -> pre.text().substring(b.start(), b.end())).containsExactly("  a = 1\n\n  b = 2");
    }

    @Test
    void htmlWithoutAMainLandmarkKeepsTheBody() {
        String html = "<html><body><p>Lead.</p><h2>Only</h2><p>Body text.</p><main> </main></body></html>";
        Document doc = new HtmlLoader().load("x.html", "x.html", "x.html", html);
        assertThat(doc.text()).startsWith("Lead.");
        assertThat(doc.sections()).extracting(Section::headings).containsExactly(List.of("Only"));
        assertThat(spans(doc)).containsExactly("Only\n\nBody text.");
    }

    @Test
    void realPythonDocsPagesHaveSectionsThatTileTheirText() throws Exception {
        java.nio.file.Path page = java.nio.file.Path.of("/usr/share/doc/python3.11/html/library/os.html");
        assertThat(page).as("the Python docs: apt-get install python3.11-doc (.ci/run does)").isRegularFile();
        Document doc = FileLoader.standard().load(page.getParent(), page);
        assertThat(doc.sections()).hasSizeGreaterThan(10);
        assertThat(doc.text()).doesNotContain("Quick search", "Table of Contents\n");
        assertThat(doc.sections().get(0).headings()).containsExactly("os — Miscellaneous operating system interfaces");
        assertThat(crumbs(doc)).contains("os — Miscellaneous operating system interfaces > Files and Directories > Linux extended attributes");
        for (int i = 1; i < doc.sections().size(); i++) {
            assertThat(doc.sections().get(i).start()).isEqualTo(doc.sections().get(i - 1).end());
        }
    }
}
