package dev.docrag.ops.incident;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Posts Slack-compatible JSON ({@code {"text": "..."}}, which Slack, Mattermost, Rocket.Chat and
 * most chat webhooks accept) to one URL with the JDK's {@link HttpClient}.
 *
 * <p>Guarantees:
 * <ul>
 *   <li><b>Rate limit:</b> at most one message per incident and phase per {@code minInterval}
 *       (by the injected clock); a message within it is not sent and reported
 *       {@link Delivery#RATE_LIMITED}, so a flapping check cannot flood a channel. Only a sent
 *       message starts the interval: after a failed one the next is tried.</li>
 *   <li><b>Retries</b> (resilience4j, exponential backoff): on I/O errors, timeouts, 429 and 5xx;
 *       never on other 4xx (a wrong URL or a revoked token does not get better).</li>
 *   <li>Never throws; a receiver that is down is {@link Delivery#FAILED} after the retries. The
 *       URL is never logged (chat webhook URLs are credentials).</li>
 *   <li>Thread-safe; calls block for at most about {@code maxAttempts × (timeout + backoff)}.</li>
 * </ul>
 */
public final class WebhookNotifier implements Notifier {
    private static final Logger LOG = LoggerFactory.getLogger(WebhookNotifier.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI url;
    private final HttpClient client;
    private final Duration timeout;
    private final Duration minInterval;
    private final Clock clock;
    private final Retry retry;
    private final Map<String, Instant> lastSent = new HashMap<>();

    private WebhookNotifier(Builder b) {
        this.url = b.url;
        this.client = b.client != null ? b.client : HttpClient.newBuilder().connectTimeout(b.timeout).build();
        this.timeout = b.timeout;
        this.minInterval = b.minInterval;
        this.clock = b.clock;
        this.retry = Retry.of("webhook", RetryConfig.<Integer>custom()
                .maxAttempts(b.maxAttempts)
                .intervalFunction(IntervalFunction.ofExponentialBackoff(b.backoff, 2.0))
                .retryOnResult(status -> status == 429 || status >= 500)
                .retryOnException(e -> e instanceof IOException)
                .build());
    }

    /** A notifier posting to {@code url} (http or https). */
    public static Builder builder(URI url) {
        return new Builder(url);
    }

    @Override
    public Delivery notify(IncidentEvent event, String text) {
        String key = event.incident() + "/" + event.phase();
        Instant now = clock.instant();
        Instant previous;
        synchronized (lastSent) {
            previous = lastSent.get(key);
            if (previous != null && now.isBefore(previous.plus(minInterval))) {
                LOG.info("Escalation of {} not sent: one was sent at {}, within {}", key, previous, minInterval);
                return Delivery.RATE_LIMITED;
            }
            lastSent.put(key, now); // reserved, so that a concurrent call for the same key is limited too
        }
        Delivery d = send(key, text);
        if (d != Delivery.SENT) {
            synchronized (lastSent) { // a failed message starts no interval: give the slot back
                if (now.equals(lastSent.get(key))) {
                    if (previous == null) {
                        lastSent.remove(key);
                    } else {
                        lastSent.put(key, previous);
                    }
                }
            }
        }
        return d;
    }

    private Delivery send(String key, String text) {
        int status;
        try {
            status = Retry.decorateCallable(retry, () -> post(text)).call();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.warn("Escalation of {} interrupted", key);
            return Delivery.FAILED;
        } catch (Exception e) {
            LOG.warn("Escalation of {} failed after retries: {}", key, e.toString());
            return Delivery.FAILED;
        }
        if (status / 100 != 2) {
            LOG.warn("Escalation of {} failed: the webhook answered {}", key, status);
            return Delivery.FAILED;
        }
        return Delivery.SENT;
    }

    private int post(String text) throws IOException, InterruptedException {
        String body;
        try {
            body = JSON.writeValueAsString(Map.of("text", text));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of one string is always JSON", e);
        }
        HttpRequest request = HttpRequest.newBuilder(url).timeout(timeout)
                .header("Content-Type", "application/json; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
        int status = client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        if (status / 100 != 2) {
            LOG.debug("Webhook answered {}", status);
        }
        return status;
    }

    @Override
    public String toString() {
        return "WebhookNotifier[" + url.getScheme() + "://" + url.getHost() + "/…]";
    }

    /** Configures a {@link WebhookNotifier}; setters validate at once. */
    public static final class Builder {
        private final URI url;
        private HttpClient client;
        private Duration timeout = Duration.ofSeconds(5);
        private Duration minInterval = Duration.ofMinutes(5);
        private Duration backoff = Duration.ofMillis(500);
        private int maxAttempts = 3;
        private Clock clock = Clock.systemUTC();

        private Builder(URI url) {
            Objects.requireNonNull(url, "url");
            if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
                throw new IllegalArgumentException("a webhook URL must be http or https");
            }
            this.url = url;
        }

        /** At most one message per incident and phase within this; default 5 minutes, zero for none. */
        public Builder minInterval(Duration interval) {
            Objects.requireNonNull(interval, "minInterval");
            if (interval.isNegative()) {
                throw new IllegalArgumentException("minInterval must not be negative, got " + interval);
            }
            this.minInterval = interval;
            return this;
        }

        /** Attempts per message, 1..10, and the wait before the second (doubling); default 3 and 500 ms. */
        public Builder retries(int maxAttempts, Duration backoff) {
            if (maxAttempts < 1 || maxAttempts > 10) {
                throw new IllegalArgumentException("maxAttempts must be 1..10, got " + maxAttempts);
            }
            Objects.requireNonNull(backoff, "backoff");
            if (backoff.isNegative() || backoff.isZero()) {
                throw new IllegalArgumentException("backoff must be positive, got " + backoff);
            }
            this.maxAttempts = maxAttempts;
            this.backoff = backoff;
            return this;
        }

        /** Connect and request timeout per attempt; default 5 s. */
        public Builder timeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be positive, got " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /** The clock of the rate limit; tests pass a fake one. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The host's HTTP client (proxy, TLS settings); by default one of DocRag's own. */
        public Builder httpClient(HttpClient client) {
            this.client = Objects.requireNonNull(client, "client");
            return this;
        }

        public WebhookNotifier build() {
            return new WebhookNotifier(this);
        }
    }
}
