package io.streamlake.core.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class RedactorTest {
    private static final String JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required"
            + " username=\"$ConnectionString\" password=\"first-part-of-it second-part-of-it\";";

    @Test
    void wholeSecretsAreMaskedAndShortSettingsAreNot() {
        Redactor r = new Redactor(List.of("a-secret-value", "true"));
        assertThat(r.redact("failed with a-secret-value, enabled=true")).isEqualTo("failed with ***, enabled=true");
        assertThat(r.redact(null)).isEmpty();
    }

    @Test
    void wordsHoldingAPieceOfAFragmentSourceAreMaskedWhole() {
        Redactor r = new Redactor(List.of(JAAS), List.of(JAAS));
        assertThat(r.redact("Value not specified for key 'second-part-of-it' in JAAS config"))
                .isEqualTo("Value not specified for key '***' in JAAS config");
        assertThat(r.redact("bad token \"xx-part-of-it-yy\" here")).isEqualTo("bad token \"***\" here");
        // shorter than 8 characters: no piece, left alone
        assertThat(r.redact("key 'part' missing")).isEqualTo("key 'part' missing");
        // without fragment sources, pieces stay (only whole values are masked)
        assertThat(new Redactor(List.of(JAAS)).redact("key 'second-part-of-it'")).contains("second-part-of-it");
    }

    @Test
    void sanitizeCopiesAChainWhoseMessagesHoldAPiece() {
        Redactor r = new Redactor(List.of(JAAS), List.of(JAAS));
        Throwable t = new IllegalStateException("outer", new IllegalArgumentException("key 'second-part-of-it'"));
        Throwable s = r.sanitize(t);
        assertThat(s).isNotSameAs(t);
        assertThat(s.getCause().getMessage()).doesNotContain("second-part").contains("***");
        Throwable clean = new IllegalStateException("nothing secret");
        assertThat(r.sanitize(clean)).isSameAs(clean);
    }
}
