/**
 * Operations hooks that a host wires in where it wants them: backups and restore, health checks,
 * metrics and tracing binders, resilience wrappers and incident handlers. Nothing is here yet;
 * the module exists so that the dependency direction (ops depends on index, never the reverse)
 * holds from the first commit. See docs/architecture.md for what is planned.
 */
package dev.docrag.ops;
