/** Resilience: for now the circuit-breaker state seam that health checks and metrics read. */
package dev.docrag.ops.resilience;
