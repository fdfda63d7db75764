package io.streamlake.core.delta;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.apache.parquet.io.api.Binary;
import org.junit.jupiter.api.Test;

class Utf8BufferTest {

    /** Characters of every UTF-8 width, paired and unpaired surrogates among them. */
    private static final char[] ALPHABET = {'a', 'Z', '0', '"', '\\', '\u0000', '\u007f', '\u0080', '\u00e9', '\u07ff',
            '\u0800', '\u20ac', '\uffff', '\ud83d', '\ude00', '\udbff', '\udc00'};

    @Test
    void encodesAsTheJdkDoesForRandomStringsOfEveryWidthAndLength() {
        Random random = new Random(20261203);
        Utf8Buffer buffer = new Utf8Buffer(); // one buffer across all strings, as a writer reuses it
        for (int n = 0; n < 20_000; n++) {
            int len = random.nextInt(10) == 0 ? random.nextInt(70_000) : random.nextInt(40);
            char[] chars = new char[len];
            for (int i = 0; i < len; i++) {
                chars[i] = ALPHABET[random.nextInt(ALPHABET.length)];
            }
            String s = new String(chars);
            byte[] expected = s.getBytes(StandardCharsets.UTF_8);
            Binary encoded = buffer.encode(s);
            assertThat(encoded.getBytes()).as("string %d of %d chars", n, len).isEqualTo(expected);
            assertThat(Utf8Buffer.utf8Length(s)).isEqualTo(expected.length);
        }
    }

    @Test
    void aLargeValueGetsABufferOfItsOwnSizeNotThreeTimesIt() throws Exception {
        Utf8Buffer buffer = new Utf8Buffer();
        char[] ascii = new char[1_000_000];
        Arrays.fill(ascii, 'x');
        buffer.encode(new String(ascii));
        var field = Utf8Buffer.class.getDeclaredField("buffer");
        field.setAccessible(true);
        // a 3 MB buffer per writer is a run of humongous regions that a 256 MB heap must find free
        assertThat(((byte[]) field.get(buffer)).length).isEqualTo(1_000_000);

        ascii[0] = '\u20ac'; // one character of three bytes: two more
        Binary encoded = buffer.encode(new String(ascii));
        assertThat(encoded.length()).isEqualTo(1_000_002);
        assertThat(((byte[]) field.get(buffer)).length).isEqualTo(1_000_002);
    }
}
