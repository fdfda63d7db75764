package io.streamlake.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import org.junit.jupiter.api.Test;

class SchemaTest {
    record Event(String id, long count, Integer maybe, Instant at, LocalDate day, byte[] raw, boolean flag) {
    }

    record Money(BigDecimal amount) {
    }

    @Test
    void recordComponentsBecomeColumnsAndPrimitivesAreRequired() {
        Schema s = Schema.fromRecord(Event.class);
        assertThat(s.toString()).isEqualTo("(id string, count long not null, maybe integer, at timestamp, day date,"
                + " raw binary, flag boolean not null)");
    }

    @Test
    void bigDecimalComponentsExplainHowToDeclareADecimal() {
        assertThatThrownBy(() -> Schema.fromRecord(Money.class)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("DataType.decimal");
    }

    @Test
    void duplicateColumnsAndWrongValuesAreRefused() {
        assertThatThrownBy(() -> Schema.builder().optional("a", DataType.INT).optional("a", DataType.LONG).build())
                .hasMessageContaining("twice");
        Schema s = Schema.builder().required("id", DataType.STRING).optional("n", DataType.LONG).build();
        assertThatThrownBy(() -> Row.of(s, "x", 1)).hasMessageContaining("Long").hasMessageContaining("'n'");
        assertThatThrownBy(() -> Row.of(s, null, 1L)).hasMessageContaining("required");
    }

    @Test
    void rowsCompareByValueIncludingBytes() {
        Schema s = Schema.builder().required("id", DataType.STRING).optional("b", DataType.BINARY).build();
        assertThat(Row.of(s, "x", new byte[] {1, 2})).isEqualTo(Row.of(s, "x", new byte[] {1, 2}));
        Row r = Row.of(s, "x", null).with("b", new byte[] {3});
        assertThat(r.toMap()).containsEntry("id", "x");
        assertThat(r.toString()).isEqualTo("{id=x, b=<1 bytes>}");
        assertThat(Row.builder(s).set("id", "y").build().toMap()).containsEntry("id", "y").containsEntry("b", null);
    }

    @Test
    void decimalAndMapTypesPrintAsDeltaSpellsThem() {
        assertThat(DataType.decimal(12, 2).toString()).isEqualTo("decimal(12,2)");
        assertThat(DataType.map(DataType.BINARY).toString()).isEqualTo("map<string,binary>");
        assertThatThrownBy(() -> DataType.decimal(19, 2)).hasMessageContaining("18");
    }
}
