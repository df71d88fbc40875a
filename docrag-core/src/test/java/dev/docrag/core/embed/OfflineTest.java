package dev.docrag.core.embed;

import ai.djl.util.Utils;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * DJL's tokenizer factories would report usage by querying the EC2 metadata endpoint
 * (169.254.169.254) once a day of JVM uptime. Their own gate must read "opted out" once DocRag has
 * built an embedder. (Provoking the call itself would send traffic off the machine, so the test
 * checks the gate DJL consults, through DJL's own accessor.)
 */
class OfflineTest {
    @Test
    void djlUsageTrackingIsSwitchedOff() {
        try (OnnxEmbedder embedder = OnnxEmbedder.allMiniLmL6V2()) {
            embedder.embedQuery("offline");
        }
        assertThat(Boolean.parseBoolean(Utils.getEnvOrSystemProperty("OPT_OUT_TRACKING"))).isTrue();
    }
}
