/**
 * Resilience around DocRag's dependencies: {@link dev.docrag.ops.resilience.ResilientEmbedder}
 * (resilience4j circuit breaker, retry of transient failures, bulkhead, time limits) with its
 * {@link dev.docrag.ops.resilience.FailureClassifier}, and the
 * {@link dev.docrag.ops.resilience.CircuitBreakerState} seam that health checks and metrics read.
 */
package dev.docrag.ops.resilience;
