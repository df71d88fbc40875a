package dev.docrag.examples.service;

import dev.docrag.index.DocRag;
import dev.docrag.ops.health.HealthChecks;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The search page at {@code /} in headless Chromium (Debian's {@code chromium} and
 * {@code chromium-driver}, named explicitly so Selenium downloads nothing): type a question about
 * the sample handbook, wait for the hits, check the right page comes first with highlighted
 * snippets and scores, and save a screenshot beside the test reports.
 */
class SearchPageBrowserTest {
    static final Path SAMPLES = Path.of(System.getProperty("docrag.samples", "../samples/handbook"));
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path DRIVER = Path.of("/usr/bin/chromedriver");
    static final String KEY = "browser-read-key-0123456789";

    @Test
    void aQuestionTypedInThePageShowsTheRightSourceFirst(@TempDir Path dir) throws Exception {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(DRIVER)) {
            fail("headless Chromium is needed: sudo apt-get install -y chromium chromium-driver (missing "
                    + (Files.isExecutable(CHROMIUM) ? DRIVER : CHROMIUM) + ")");
        }
        try (DocRag rag = DocRag.builder().directory(dir.resolve("index")).build()) {
            assertThat(rag.ingest(SAMPLES).failed()).isZero();
            ServiceConfig config = ServiceConfig.builder().port(0)
                    .apiKeys(ApiKeys.builder().readKey(KEY, DocRag.DEFAULT_TENANT).build()).build();
            try (DocRagServer server = DocRagServer.start(rag, HealthChecks.standard(rag),
                    new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), config)) {
                ChromeOptions options = new ChromeOptions();
                options.setBinary(CHROMIUM.toFile());
                options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                        "--window-size=1100,900", "--user-data-dir=" + Files.createDirectories(dir.resolve("chrome-profile")));
                ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
                        .usingAnyFreePort().build();
                ChromeDriver browser = new ChromeDriver(service, options);
                try {
                    browser.get("http://127.0.0.1:" + server.port() + "/");
                    assertThat(browser.getTitle()).isEqualTo("DocRag search");
                    browser.findElement(By.id("key")).sendKeys(KEY);
                    browser.findElement(By.id("query")).sendKeys("How long do we hold on to old log archives?");
                    browser.findElement(By.id("go")).click();
                    new WebDriverWait(browser, Duration.ofSeconds(30))
                            .until(ExpectedConditions.attributeToBe(By.id("results"), "data-done", "true"));
                    List<WebElement> hits = browser.findElements(By.cssSelector("#results .hit"));
                    assertThat(hits).isNotEmpty();
                    assertThat(hits.get(0).findElement(By.className("source")).getText()).endsWith("operations/logging.md");
                    assertThat(hits.get(0).findElement(By.className("scores")).getText()).startsWith("score ");
                    assertThat(browser.findElements(By.cssSelector("#results mark"))).as("highlighted words").isNotEmpty();

                    Path reports = Files.createDirectories(Path.of("target", "surefire-reports"));
                    Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
                    Files.copy(shot, reports.resolve("SearchPageBrowserTest.png"), StandardCopyOption.REPLACE_EXISTING);
                } finally {
                    browser.quit();
                }
            }
        }
    }
}
