package dev.docrag.ops.health;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The result of one group of checks (liveness or readiness): the worst status of its checks and
 * each check's result, in registration order.
 *
 * @param status the group's status: the worst of its checks', UP for a group without checks
 * @param checks each check's result by name
 */
public record HealthReport(HealthStatus status, Map<String, HealthResult> checks) {
    public HealthReport {
        checks = Collections.unmodifiableMap(new LinkedHashMap<>(checks));
    }

    /**
     * The HTTP status a probe endpoint should answer with: 503 when DOWN, else 200 — DEGRADED
     * still serves, so Kubernetes keeps the instance in rotation while alerts get attention.
     */
    public int httpStatus() {
        return status == HealthStatus.DOWN ? 503 : 200;
    }

    /** A compact JSON rendering for a probe endpoint: {@code {"status":"UP","checks":{...}}}. */
    public String toJson() {
        StringBuilder b = new StringBuilder("{\"status\":\"").append(status).append("\",\"checks\":{");
        String sep = "";
        for (Map.Entry<String, HealthResult> e : checks.entrySet()) {
            HealthResult r = e.getValue();
            b.append(sep).append(quote(e.getKey())).append(":{\"status\":\"").append(r.status())
                    .append("\",\"tookMs\":").append(r.took().toMillis());
            for (Map.Entry<String, Object> d : r.details().entrySet()) {
                b.append(',').append(quote(d.getKey())).append(':');
                Object v = d.getValue();
                b.append(v instanceof Number || v instanceof Boolean ? v.toString() : quote(String.valueOf(v)));
            }
            b.append('}');
            sep = ",";
        }
        return b.append("}}").toString();
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
