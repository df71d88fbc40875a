package dev.docrag.ops.incident;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads the alerts out of an Alertmanager webhook body (version 4: {@code {"status": ...,
 * "alerts": [{"status": "firing"|"resolved", "labels": {"alertname": ...}, "annotations":
 * {"summary": ...}}, ...]}}). Only what the responder needs; unknown fields are ignored.
 */
final class AlertmanagerPayload {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One alert of a payload. */
    record Alert(String name, boolean firing, String summary) {
    }

    private AlertmanagerPayload() {
    }

    /**
     * @throws IllegalArgumentException if {@code body} is not JSON, or not shaped like an
     *                                  Alertmanager webhook payload (naming what is missing)
     */
    static List<Alert> parse(String body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not an Alertmanager webhook payload: invalid JSON ("
                    + e.getOriginalMessage() + ")", e);
        }
        if (root == null || !root.isObject() || !root.path("alerts").isArray()) {
            throw new IllegalArgumentException("not an Alertmanager webhook payload: no \"alerts\" array");
        }
        List<Alert> alerts = new ArrayList<>();
        int i = 0;
        for (JsonNode a : root.get("alerts")) {
            String name = a.path("labels").path("alertname").asText("");
            String status = a.path("status").asText("");
            if (name.isEmpty() || !(status.equals("firing") || status.equals("resolved"))) {
                throw new IllegalArgumentException("not an Alertmanager webhook payload: alert " + i
                        + " needs labels.alertname and status firing|resolved");
            }
            JsonNode annotations = a.path("annotations");
            String summary = annotations.path("summary").asText(annotations.path("description").asText(name));
            alerts.add(new Alert(name, status.equals("firing"), summary));
            i++;
        }
        return alerts;
    }
}
