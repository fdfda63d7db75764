package io.streamlake.core.delta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.schema.DataType;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Type.Repetition;
import org.apache.parquet.schema.Types;
import org.junit.jupiter.api.Test;

/** Layouts other Delta writers produce for StreamLake's types, which the reader must accept. */
class RowReadSupportTest {

    private static Object convert(DataType type, Type fileType, java.util.function.Consumer<PrimitiveConverter> feed) {
        Object[] slot = new Object[1];
        feed.accept(RowReadSupport.converter(type, fileType, "c", slot, 0).asPrimitiveConverter());
        return slot[0];
    }

    @Test
    void decimalsInAnyPhysicalLayout() {
        DataType type = DataType.decimal(5, 2);
        Type int64 = Types.primitive(PrimitiveTypeName.INT64, Repetition.OPTIONAL)
                .as(LogicalTypeAnnotation.decimalType(2, 5)).named("c");
        assertThat(convert(type, int64, c -> c.addLong(-12345))).isEqualTo(new BigDecimal("-123.45"));
        Type fixed = Types.primitive(PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY, Repetition.OPTIONAL).length(4)
                .as(LogicalTypeAnnotation.decimalType(2, 5)).named("c");
        assertThat(convert(type, fixed, c -> c.addBinary(Binary.fromConstantByteArray(new byte[] {-1, -1, -49, -57}))))
                .isEqualTo(new BigDecimal("-123.45"));
        Type otherScale = Types.primitive(PrimitiveTypeName.INT32, Repetition.OPTIONAL)
                .as(LogicalTypeAnnotation.decimalType(1, 4)).named("c");
        assertThat(convert(type, otherScale, c -> c.addInt(15))).isEqualTo(new BigDecimal("1.50"));
    }

    @Test
    void timestampsInMillisNanosAndInt96() {
        Type millis = Types.primitive(PrimitiveTypeName.INT64, Repetition.OPTIONAL)
                .as(LogicalTypeAnnotation.timestampType(true, LogicalTypeAnnotation.TimeUnit.MILLIS)).named("c");
        assertThat(convert(DataType.TIMESTAMP, millis, c -> c.addLong(1_000L)))
                .isEqualTo(Instant.parse("1970-01-01T00:00:01Z"));
        Type nanos = Types.primitive(PrimitiveTypeName.INT64, Repetition.OPTIONAL)
                .as(LogicalTypeAnnotation.timestampType(true, LogicalTypeAnnotation.TimeUnit.NANOS)).named("c");
        assertThat(convert(DataType.TIMESTAMP, nanos, c -> c.addLong(-1L)))
                .isEqualTo(Instant.parse("1969-12-31T23:59:59.999999999Z"));
        Type int96 = Types.primitive(PrimitiveTypeName.INT96, Repetition.OPTIONAL).named("c");
        ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(3_600_000_000_123L).putInt(2_440_589);
        assertThat(convert(DataType.TIMESTAMP, int96, c -> c.addBinary(Binary.fromConstantByteArray(b.array()))))
                .isEqualTo(Instant.parse("1970-01-02T01:00:00.000000123Z"));
    }

    @Test
    void wideningIsAllowedNarrowingIsNot() {
        Type int32 = Types.primitive(PrimitiveTypeName.INT32, Repetition.OPTIONAL).named("c");
        assertThat(convert(DataType.LONG, int32, c -> c.addInt(7))).isEqualTo(7L);
        Type int64 = Types.primitive(PrimitiveTypeName.INT64, Repetition.OPTIONAL).named("c");
        assertThatThrownBy(() -> RowReadSupport.converter(DataType.INT, int64, "c", new Object[1], 0))
                .isInstanceOf(RowReadSupport.IncompatibleColumnException.class)
                .hasMessageContaining("column 'c'");
        Type flt = Types.primitive(PrimitiveTypeName.FLOAT, Repetition.OPTIONAL).named("c");
        assertThat(convert(DataType.DOUBLE, flt, c -> c.addFloat(0.5f))).isEqualTo(0.5);
    }
}
