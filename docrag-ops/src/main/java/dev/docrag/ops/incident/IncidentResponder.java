package dev.docrag.ops.incident;

import dev.docrag.ops.health.HealthReport;
import dev.docrag.ops.health.HealthResult;
import dev.docrag.ops.health.HealthStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reacts to incidents without a human where that is safe, and escalates the rest.
 *
 * <pre>{@code
 * LoadShedder shedder = new LoadShedder();
 * IncidentAction readOnly = IncidentActions.pauseWrites(rag);
 * IncidentResponder responder = IncidentResponder.builder()
 *         .on(Incident.HIGH_ERROR_RATE, IncidentActions.openBreaker(embedder), IncidentActions.shedLoad(shedder))
 *         .on(Incident.MEMORY_PRESSURE, IncidentActions.dropCaches(List.of(cache::invalidateAll)), readOnly)
 *         .on(Incident.CATALOG_UNREACHABLE, readOnly)
 *         .escalateTo(WebhookNotifier.builder(URI.create(slackWebhook)).build())
 *         .meterRegistry(meterRegistry)
 *         .build();
 * responder.onHealth(health.readiness());          // after each readiness probe
 * responder.onAlertmanager(requestBody);           // from the host's Alertmanager webhook route
 * }</pre>
 *
 * <p><b>Triggers.</b> An incident has sources: a health check at or past a status (by default
 * {@code catalog} DOWN → {@link Incident#CATALOG_UNREACHABLE}, {@code embedder} DEGRADED →
 * {@link Incident#PROVIDER_FAILURE}, {@code heap} DEGRADED → {@link Incident#MEMORY_PRESSURE}),
 * or an Alertmanager alert by name (by default {@code HighErrorRate} and
 * {@code DocRagSearchErrorBudgetBurnFast} → HIGH_ERROR_RATE, {@code HighMemoryUsage} → MEMORY_PRESSURE,
 * {@code DocRagEmbedderCircuitOpen} → PROVIDER_FAILURE). The incident <i>starts</i> when its first
 * source fires — its actions' {@link IncidentAction#start} run, in registration order — and
 * <i>resolves</i> when its last source clears — their {@link IncidentAction#resolve} run, in
 * reverse order. A source that fires again while active does nothing: repeated webhooks and
 * probes do not repeat actions. A check reporting {@code circuit=FORCED_OPEN} (a breaker opened
 * on purpose, e.g. by {@link IncidentActions#openBreaker}) leaves its source as it was: it cannot
 * see the dependency, so it neither raises a provider failure nor resolves one.
 *
 * <p><b>Escalation.</b> Every start and resolution is sent to the {@link Notifier}, with the
 * actions taken and whether they worked, after the actions ran and outside the responder's lock.
 *
 * <p><b>Accounting.</b> Every action is logged (WARN when an incident starts, INFO when it
 * resolves, ERROR when an action fails) and counted: {@code docrag.incident.actions} with tags
 * {@code incident}, {@code action} (an action's name, or {@code escalate}), {@code phase}
 * (started, resolved) and {@code outcome} (success, failure, or for escalations rate_limited);
 * {@code docrag.incidents} counts transitions by {@code incident} and {@code phase}.
 *
 * <p>Thread-safe: transitions are serialized; actions never run concurrently with each other.
 */
public final class IncidentResponder {
    private static final Logger LOG = LoggerFactory.getLogger(IncidentResponder.class);

    private final Map<Incident, List<IncidentAction>> handlers;
    private final List<HealthTrigger> healthTriggers;
    private final Map<String, Incident> alertTriggers;
    private final Notifier notifier;
    private final Clock clock;
    private final MeterRegistry meters;
    private final Object lock = new Object();
    private final Map<Incident, Set<String>> sources = new EnumMap<>(Incident.class);
    private final Map<Incident, IncidentEvent> active = new EnumMap<>(Incident.class);

    /** A check at or past {@code atLeast} raises {@code incident}. */
    private record HealthTrigger(String check, HealthStatus atLeast, Incident incident) {
    }

    /** One transition and what its actions did, for escalation. */
    private record Transition(IncidentEvent event, Map<String, String> outcomes) {
    }

    private IncidentResponder(Builder b) {
        Map<Incident, List<IncidentAction>> h = new EnumMap<>(Incident.class);
        b.handlers.forEach((k, v) -> h.put(k, List.copyOf(v)));
        this.handlers = Collections.unmodifiableMap(h);
        this.healthTriggers = List.copyOf(b.healthTriggers.values());
        this.alertTriggers = Map.copyOf(b.alertTriggers);
        this.notifier = b.notifier;
        this.clock = b.clock;
        this.meters = b.meters != null ? b.meters : new SimpleMeterRegistry();
    }

    /** A builder with the default triggers and no handlers. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Compares a readiness (or liveness) report with the triggers: checks at or past their
     * trigger's status raise their incident, checks below it clear their source. Checks the
     * report does not contain are left as they were.
     *
     * @return the transitions this report caused, in order
     */
    public List<IncidentEvent> onHealth(HealthReport report) {
        Objects.requireNonNull(report, "report");
        List<Transition> done = new ArrayList<>();
        synchronized (lock) {
            for (HealthTrigger t : healthTriggers) {
                HealthResult r = report.checks().get(t.check());
                if (r == null) {
                    continue;
                }
                if ("FORCED_OPEN".equals(r.details().get("circuit"))) {
                    // opened on purpose (by a handler or an operator): the check cannot see the
                    // dependency now, so this source neither starts nor resolves anything
                    continue;
                }
                String source = "health:" + t.check();
                if (r.status().compareTo(t.atLeast()) >= 0) {
                    raiseLocked(t.incident(), source, t.check() + " is " + r.status() + details(r), done);
                } else {
                    resolveLocked(t.incident(), source, t.check() + " is " + r.status(), done);
                }
            }
        }
        return escalate(done);
    }

    /**
     * Handles an Alertmanager webhook body: firing alerts with a known name raise their incident,
     * resolved ones clear it; alerts with other names are logged at DEBUG and ignored.
     *
     * @return the transitions the payload caused, in order
     * @throws IllegalArgumentException if {@code body} is not an Alertmanager webhook payload
     *                                  (the host's route answers 400); nothing was done then
     */
    public List<IncidentEvent> onAlertmanager(String body) {
        Objects.requireNonNull(body, "body");
        List<AlertmanagerPayload.Alert> alerts = AlertmanagerPayload.parse(body);
        List<Transition> done = new ArrayList<>();
        synchronized (lock) {
            for (AlertmanagerPayload.Alert a : alerts) {
                Incident incident = alertTriggers.get(a.name());
                if (incident == null) {
                    LOG.debug("Alert {} maps to no incident; ignored", a.name());
                    continue;
                }
                String source = "alertmanager:" + a.name();
                if (a.firing()) {
                    raiseLocked(incident, source, a.summary(), done);
                } else {
                    resolveLocked(incident, source, a.name() + " resolved", done);
                }
            }
        }
        return escalate(done);
    }

    /** Raises {@code incident} from a host's own source (e.g. {@code manual:oncall}). */
    public List<IncidentEvent> raise(Incident incident, String source, String summary) {
        List<Transition> done = new ArrayList<>();
        synchronized (lock) {
            raiseLocked(Objects.requireNonNull(incident, "incident"), Objects.requireNonNull(source, "source"),
                    Objects.requireNonNull(summary, "summary"), done);
        }
        return escalate(done);
    }

    /** Clears one source of {@code incident}; it resolves if that was its last one. */
    public List<IncidentEvent> clear(Incident incident, String source) {
        List<Transition> done = new ArrayList<>();
        synchronized (lock) {
            resolveLocked(Objects.requireNonNull(incident, "incident"), Objects.requireNonNull(source, "source"),
                    "cleared by " + source, done);
        }
        return escalate(done);
    }

    /** The incidents in progress, each with the event that started it. */
    public Map<Incident, IncidentEvent> active() {
        synchronized (lock) {
            Map<Incident, IncidentEvent> copy = new EnumMap<>(Incident.class);
            copy.putAll(active);
            return Collections.unmodifiableMap(copy);
        }
    }

    private void raiseLocked(Incident incident, String source, String summary, List<Transition> done) {
        Set<String> from = sources.computeIfAbsent(incident, k -> new LinkedHashSet<>());
        boolean first = from.isEmpty();
        if (!from.add(source) || !first) {
            return; // already active: repeated probes and webhooks do not repeat actions
        }
        IncidentEvent event = new IncidentEvent(incident, IncidentEvent.Phase.STARTED, source, summary, clock.instant());
        active.put(incident, event);
        count("docrag.incidents", incident, event.phase());
        LOG.warn("Incident {} started ({}): {}", incident, source, summary);
        Map<String, String> outcomes = new LinkedHashMap<>();
        for (IncidentAction a : handlers.getOrDefault(incident, List.of())) {
            outcomes.put(a.name(), run(a, event, true));
        }
        done.add(new Transition(event, outcomes));
    }

    private void resolveLocked(Incident incident, String source, String summary, List<Transition> done) {
        Set<String> from = sources.get(incident);
        if (from == null || !from.remove(source) || !from.isEmpty()) {
            return;
        }
        IncidentEvent started = active.remove(incident);
        IncidentEvent event = new IncidentEvent(incident, IncidentEvent.Phase.RESOLVED, source, summary, clock.instant());
        count("docrag.incidents", incident, event.phase());
        LOG.info("Incident {} resolved ({}) after {}", incident, source,
                started == null ? "?" : Duration.between(started.at(), event.at()));
        Map<String, String> outcomes = new LinkedHashMap<>();
        List<IncidentAction> actions = new ArrayList<>(handlers.getOrDefault(incident, List.of()));
        Collections.reverse(actions);
        for (IncidentAction a : actions) {
            outcomes.put(a.name(), run(a, event, false));
        }
        done.add(new Transition(event, outcomes));
    }

    private String run(IncidentAction a, IncidentEvent event, boolean start) {
        String outcome;
        try {
            if (start) {
                a.start(event);
            } else {
                a.resolve(event);
            }
            outcome = "success";
            if (start) {
                LOG.warn("Incident {}: action {} done", event.incident(), a.name());
            } else {
                LOG.info("Incident {}: action {} undone", event.incident(), a.name());
            }
        } catch (Exception | Error e) {
            outcome = "failure";
            LOG.error("Incident {}: action {} failed on {}", event.incident(), a.name(), event.phase().tag(), e);
        }
        actionCounter(event, a.name(), outcome).increment();
        return outcome;
    }

    private List<IncidentEvent> escalate(List<Transition> done) {
        List<IncidentEvent> events = new ArrayList<>(done.size());
        for (Transition t : done) {
            events.add(t.event());
            if (notifier == null) {
                continue;
            }
            Notifier.Delivery d;
            try {
                d = notifier.notify(t.event(), text(t));
            } catch (RuntimeException e) { // a notifier must not throw; if one does, it is a failed delivery
                LOG.error("Notifier {} threw", notifier, e);
                d = Notifier.Delivery.FAILED;
            }
            String outcome = switch (d) {
                case SENT -> "success";
                case FAILED -> "failure";
                case RATE_LIMITED -> "rate_limited";
            };
            if (d == Notifier.Delivery.FAILED) {
                LOG.error("Incident {} {}: escalation failed", t.event().incident(), t.event().phase().tag());
            } else {
                LOG.info("Incident {} {}: escalation {}", t.event().incident(), t.event().phase().tag(), outcome);
            }
            actionCounter(t.event(), "escalate", outcome).increment();
        }
        return events;
    }

    private static String text(Transition t) {
        IncidentEvent e = t.event();
        String actions = t.outcomes().isEmpty() ? "none"
                : t.outcomes().entrySet().stream().map(x -> x.getKey() + " " + x.getValue()).collect(Collectors.joining(", "));
        return "[DocRag] " + e.incident() + " " + e.phase().tag() + " (" + e.source() + "): " + e.summary()
                + ". Actions: " + actions + ".";
    }

    private static String details(HealthResult r) {
        Object error = r.details().get("error");
        return error != null ? ": " + error : "";
    }

    private Counter actionCounter(IncidentEvent e, String action, String outcome) {
        return Counter.builder("docrag.incident.actions").tag("incident", e.incident().tag()).tag("action", action)
                .tag("phase", e.phase().tag()).tag("outcome", outcome)
                .description("incident actions and escalations by outcome").register(meters);
    }

    private void count(String name, Incident incident, IncidentEvent.Phase phase) {
        Counter.builder(name).tag("incident", incident.tag()).tag("phase", phase.tag())
                .description("incident transitions").register(meters).increment();
    }

    /**
     * Configures an {@link IncidentResponder}. Starts with the default triggers (see the class
     * description); {@link #build()} fails without any handler or notifier (it would do nothing).
     */
    public static final class Builder {
        private final Map<Incident, List<IncidentAction>> handlers = new EnumMap<>(Incident.class);
        private final Map<String, HealthTrigger> healthTriggers = new LinkedHashMap<>();
        private final Map<String, Incident> alertTriggers = new LinkedHashMap<>();
        private Notifier notifier;
        private Clock clock = Clock.systemUTC();
        private MeterRegistry meters;

        private Builder() {
            healthCheck("catalog", HealthStatus.DOWN, Incident.CATALOG_UNREACHABLE);
            healthCheck("embedder", HealthStatus.DEGRADED, Incident.PROVIDER_FAILURE);
            healthCheck("heap", HealthStatus.DEGRADED, Incident.MEMORY_PRESSURE);
            alert("HighErrorRate", Incident.HIGH_ERROR_RATE);
            alert("DocRagSearchErrorBudgetBurnFast", Incident.HIGH_ERROR_RATE);
            alert("HighMemoryUsage", Incident.MEMORY_PRESSURE);
            alert("DocRagEmbedderCircuitOpen", Incident.PROVIDER_FAILURE);
        }

        /** Adds actions for {@code incident}, run after any added before. */
        public Builder on(Incident incident, IncidentAction... actions) {
            Objects.requireNonNull(incident, "incident");
            List<IncidentAction> list = handlers.computeIfAbsent(incident, k -> new ArrayList<>());
            for (IncidentAction a : actions) {
                Objects.requireNonNull(a, "action");
                if (!a.name().matches("[a-z0-9_]{1,40}")) {
                    throw new IllegalArgumentException("an action name must be 1-40 of [a-z0-9_] (it becomes a tag), got " + a.name());
                }
                if (list.stream().anyMatch(x -> x.name().equals(a.name()))) {
                    throw new IllegalArgumentException(incident + " already has an action named " + a.name());
                }
                list.add(a);
            }
            return this;
        }

        /** Maps a health check to an incident, replacing any mapping of that check. */
        public Builder healthCheck(String check, HealthStatus atLeast, Incident incident) {
            Objects.requireNonNull(check, "check");
            Objects.requireNonNull(atLeast, "atLeast");
            Objects.requireNonNull(incident, "incident");
            if (atLeast == HealthStatus.UP) {
                throw new IllegalArgumentException("a trigger at UP would fire on a healthy check");
            }
            healthTriggers.put(check, new HealthTrigger(check, atLeast, incident));
            return this;
        }

        /** Removes a health check's mapping (a default one, say); no effect if absent. */
        public Builder ignoreHealthCheck(String check) {
            healthTriggers.remove(check);
            return this;
        }

        /** Maps an Alertmanager {@code alertname} to an incident, replacing any mapping of that name. */
        public Builder alert(String alertname, Incident incident) {
            alertTriggers.put(Objects.requireNonNull(alertname, "alertname"), Objects.requireNonNull(incident, "incident"));
            return this;
        }

        /** Where every transition is escalated; none by default. */
        public Builder escalateTo(Notifier notifier) {
            this.notifier = Objects.requireNonNull(notifier, "notifier");
            return this;
        }

        /** The clock events are stamped with; tests pass a fake one. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Where actions are counted; without one they are counted in a private registry. */
        public Builder meterRegistry(MeterRegistry registry) {
            this.meters = Objects.requireNonNull(registry, "registry");
            return this;
        }

        public IncidentResponder build() {
            if (notifier == null && handlers.values().stream().allMatch(List::isEmpty)) {
                throw new IllegalStateException("an incident responder needs at least one action or a notifier");
            }
            return new IncidentResponder(this);
        }
    }
}
