package dev.docrag.ops.metrics;

import dev.docrag.index.DocRagListener;

/**
 * The {@code status} tag of {@code docrag.requests}: HTTP-style codes, so that the classic rule
 * {@code rate(docrag_requests_total{status=~"5.."}[5m])} counts DocRag's own failures and not
 * its callers' mistakes.
 *
 * <table>
 *   <caption>mapping</caption>
 *   <tr><th>outcome</th><th>status</th><th>when</th></tr>
 *   <tr><td>SUCCESS</td><td>200</td><td>the call returned (a batch with failed documents too)</td></tr>
 *   <tr><td>CALLER_ERROR</td><td>400</td><td>bad argument: unknown filter field, wrong vector dimension, null</td></tr>
 *   <tr><td>FAILURE</td><td>500</td><td>DocRag, its index or its catalog failed</td></tr>
 *   <tr><td>REJECTED</td><td>503</td><td>not available: closed (later: circuit open, overloaded)</td></tr>
 * </table>
 */
public final class RequestStatus {
    private RequestStatus() {
    }

    /** The tag value for an outcome. */
    public static String of(DocRagListener.Outcome outcome) {
        return switch (outcome) {
            case SUCCESS -> "200";
            case CALLER_ERROR -> "400";
            case FAILURE -> "500";
            case REJECTED -> "503";
        };
    }
}
