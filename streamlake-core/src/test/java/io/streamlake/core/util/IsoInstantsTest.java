package io.streamlake.core.util;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The hand-written parser agrees with java.time on every canonical shape, and leaves the rest to it. */
class IsoInstantsTest {
    @Test
    void agreesWithJavaTimeOnRandomInstantsFractionsAndOffsets() {
        Random random = new Random(19);
        for (int i = 0; i < 20_000; i++) {
            long second = random.nextLong(-62_135_596_800L, 253_402_300_799L - 86_400); // years 0001 to 9999
            int digits = random.nextInt(10); // 0 to 9 fraction digits
            int nanos = digits == 0 ? 0 : random.nextInt(1_000_000_000) / pow10(9 - digits) * pow10(9 - digits);
            ZoneOffset offset = random.nextBoolean() ? ZoneOffset.UTC
                    : ZoneOffset.ofTotalSeconds((random.nextInt(36 * 4 + 1) - 72) * 15 * 60);
            OffsetDateTime t = Instant.ofEpochSecond(second, nanos).atOffset(offset);
            String fraction = digits == 0 ? "" : "." + String.format("%09d", nanos).substring(0, digits);
            String text = t.format(DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss")) + fraction
                    + (offset.equals(ZoneOffset.UTC) && random.nextBoolean() ? "Z"
                            : offset.getId().replace("Z", "+00:00"));
            assertThat(IsoInstants.parse(text)).as(text).isEqualTo(OffsetDateTime.parse(text).toInstant());
        }
    }

    @Test
    void leavesEveryOtherShapeAndEveryBadFieldToTheGeneralParser() {
        for (String text : new String[] {"2026-01-01 10:00:00Z", "2026-01-01T10:00:00", "2026-02-30T10:00:00Z",
                "2026-13-01T10:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T10:60:00Z", "2026-01-01T10:00:00.Z",
                "2026-01-01T10:00:00.1234567890Z", "2026-01-01T10:00:00+2:00", "2026-01-01T10:00:00+19:00",
                "2026-01-01T10:00:00z", "+2026-01-01T10:00:00Z", "2026-01-01T10:00:00ZZ", "9/19/2017 10:47:33 PM"}) {
            assertThat(IsoInstants.parse(text)).as(text).isNull();
        }
        assertThat(IsoInstants.parse("2024-02-29T23:59:59.999999999-01:30"))
                .isEqualTo(Instant.parse("2024-03-01T01:29:59.999999999Z"));
    }

    private static int pow10(int n) {
        int v = 1;
        for (int i = 0; i < n; i++) {
            v *= 10;
        }
        return v;
    }
}
