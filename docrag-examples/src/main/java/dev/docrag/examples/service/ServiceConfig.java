package dev.docrag.examples.service;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link DocRagServer} listens and protects itself. Build with {@link #builder()}; every
 * setter validates its argument and names its unit.
 *
 * @param host           address to bind; {@code 127.0.0.1} by default, {@code 0.0.0.0} in a container
 * @param port           TCP port; 0 picks a free one (see {@link DocRagServer#port()})
 * @param apiKeys        the bearer keys accepted
 * @param maxBodyBytes   larger request bodies are refused with 413 before they are read
 * @param requestTimeout a request not answered within this time gets 503; its work is not
 *                       interrupted (an interrupted Lucene read can close index files), it
 *                       finishes in the background and its result is dropped
 * @param drainTimeout   how long {@link DocRagServer#close()} waits for in-flight requests
 * @param workerThreads  threads that run requests; by default twice the CPUs the JVM sees, which
 *                       in a container is derived from its CPU quota
 */
public record ServiceConfig(String host, int port, ApiKeys apiKeys, long maxBodyBytes, Duration requestTimeout,
                            Duration drainTimeout, int workerThreads) {
    /** The port a service listens on unless told otherwise (also {@code docrag serve}'s default). */
    public static final int DEFAULT_PORT = 8080;

    public ServiceConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(apiKeys, "apiKeys");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(drainTimeout, "drainTimeout");
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Configures a {@link ServiceConfig}; defaults suit a local service. */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port = DEFAULT_PORT;
        private ApiKeys apiKeys = ApiKeys.builder().build();
        private long maxBodyBytes = 1L << 20;
        private Duration requestTimeout = Duration.ofSeconds(10);
        private Duration drainTimeout = Duration.ofSeconds(20);
        private int workerThreads = Math.max(2, 2 * Runtime.getRuntime().availableProcessors());

        private Builder() {
        }

        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0..65535, got " + port);
            }
            this.port = port;
            return this;
        }

        public Builder apiKeys(ApiKeys keys) {
            this.apiKeys = Objects.requireNonNull(keys, "apiKeys");
            return this;
        }

        public Builder maxBodyBytes(long bytes) {
            if (bytes < 1024) {
                throw new IllegalArgumentException("maxBodyBytes must be at least 1024, got " + bytes);
            }
            this.maxBodyBytes = bytes;
            return this;
        }

        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = positive("requestTimeout", timeout);
            return this;
        }

        public Builder drainTimeout(Duration timeout) {
            this.drainTimeout = positive("drainTimeout", timeout);
            return this;
        }

        public Builder workerThreads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("workerThreads must be at least 1, got " + threads);
            }
            this.workerThreads = threads;
            return this;
        }

        public ServiceConfig build() {
            return new ServiceConfig(host, port, apiKeys, maxBodyBytes, requestTimeout, drainTimeout, workerThreads);
        }

        private static Duration positive(String name, Duration d) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, got " + d);
            }
            return d;
        }
    }
}
