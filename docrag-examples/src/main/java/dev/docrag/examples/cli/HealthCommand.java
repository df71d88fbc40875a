package dev.docrag.examples.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code docrag health}: asks a running service's {@code /readyz}; exit 0 when ready (UP or
 * DEGRADED), 1 otherwise — usable as a container health command.
 */
@Command(name = "health", description = "Check a running service's readiness (exit 0 when ready).")
final class HealthCommand implements Callable<Integer> {
    @ParentCommand
    DocRagCli cli;

    @Option(names = "--url", defaultValue = "http://127.0.0.1:8080", description = "The service (default: ${DEFAULT-VALUE}).")
    String url;

    @Override
    public Integer call() throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(url.replaceAll("/+$", "") + dev.docrag.examples.service.DocRagServer.READY_PATH))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        cli.out.println(r.body());
        return r.statusCode() == 200 ? DocRagCli.OK : DocRagCli.FAILURE;
    }
}
