/**
 * Incident response: {@link dev.docrag.ops.incident.IncidentResponder} runs handlers keyed by
 * {@link dev.docrag.ops.incident.Incident} when health checks change state or Alertmanager posts
 * an alert, undoes them when the incident resolves, and escalates through a
 * {@link dev.docrag.ops.incident.Notifier} such as the rate-limited
 * {@link dev.docrag.ops.incident.WebhookNotifier}.
 */
package dev.docrag.ops.incident;
