package dev.docrag.ops;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.docrag.ops.incident.Incident;
import dev.docrag.ops.incident.IncidentEvent;
import dev.docrag.ops.incident.Notifier.Delivery;
import dev.docrag.ops.incident.WebhookNotifier;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The escalation webhook against a real local HTTP server that answers, fails, or is not there. */
class WebhookNotifierTest {
    private final MutableClock clock = new MutableClock();

    private IncidentEvent event(Incident incident) {
        return new IncidentEvent(incident, IncidentEvent.Phase.STARTED, "health:catalog", "catalog is DOWN", clock.instant());
    }

    private WebhookNotifier.Builder notifier(URI url) {
        return WebhookNotifier.builder(url).clock(clock).retries(3, Duration.ofMillis(5)).timeout(Duration.ofSeconds(2));
    }

    @Test
    void postsSlackCompatibleJsonAndRateLimitsPerIncidentAndPhase() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            WebhookNotifier webhook = notifier(receiver.url()).minInterval(Duration.ofMinutes(5)).build();
            String text = "[DocRag] CATALOG_UNREACHABLE started: \"quotes\" and\nnewlines";
            assertThat(webhook.notify(event(Incident.CATALOG_UNREACHABLE), text)).isEqualTo(Delivery.SENT);
            assertThat(new ObjectMapper().readTree(receiver.bodies.get(0)).get("text").asText()).isEqualTo(text);
            assertThat(receiver.contentTypes.get(0)).startsWith("application/json");

            clock.advance(Duration.ofMinutes(4));
            assertThat(webhook.notify(event(Incident.CATALOG_UNREACHABLE), "again")).isEqualTo(Delivery.RATE_LIMITED);
            assertThat(webhook.notify(event(Incident.MEMORY_PRESSURE), "another incident")).isEqualTo(Delivery.SENT);
            assertThat(receiver.requests).hasValue(2);

            clock.advance(Duration.ofMinutes(1));
            assertThat(webhook.notify(event(Incident.CATALOG_UNREACHABLE), "after the interval")).isEqualTo(Delivery.SENT);
            assertThat(receiver.requests).hasValue(3);
        }
    }

    @Test
    void serverErrorsAreRetriedWithBackoffAndClientErrorsAreNot() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            WebhookNotifier webhook = notifier(receiver.url()).build();
            AtomicInteger n = new AtomicInteger();
            receiver.status = () -> n.incrementAndGet() <= 2 ? 503 : 200;
            assertThat(webhook.notify(event(Incident.PROVIDER_FAILURE), "flaky receiver")).isEqualTo(Delivery.SENT);
            assertThat(receiver.requests).hasValue(3);

            receiver.status = () -> 500;
            assertThat(webhook.notify(event(Incident.HIGH_ERROR_RATE), "receiver broken")).isEqualTo(Delivery.FAILED);
            assertThat(receiver.requests).as("3 attempts").hasValue(6);
            receiver.status = () -> 200;
            assertThat(webhook.notify(event(Incident.HIGH_ERROR_RATE), "a failure starts no interval"))
                    .isEqualTo(Delivery.SENT);

            receiver.status = () -> 404;
            assertThat(webhook.notify(event(Incident.MEMORY_PRESSURE), "wrong url")).isEqualTo(Delivery.FAILED);
            assertThat(receiver.requests).as("a 404 is not retried").hasValue(8);
        }
    }

    @Test
    void aReceiverThatIsDownIsAFailedDeliveryNotAnException() throws Exception {
        URI url;
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            url = receiver.url();
        } // stopped: the port refuses connections now
        WebhookNotifier webhook = notifier(url).build();
        long t0 = System.nanoTime();
        assertThat(webhook.notify(event(Incident.CATALOG_UNREACHABLE), "nobody listens")).isEqualTo(Delivery.FAILED);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
        assertThatThrownBy(() -> WebhookNotifier.builder(URI.create("ftp://x/y"))).isInstanceOf(IllegalArgumentException.class);
        assertThat(webhook.toString()).doesNotContain("T000");
    }
}
