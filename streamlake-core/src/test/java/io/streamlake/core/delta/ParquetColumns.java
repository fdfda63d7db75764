package io.streamlake.core.delta;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.impl.ColumnReadStoreImpl;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.api.Converter;
import org.apache.parquet.io.api.GroupConverter;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/**
 * Reads one top-level primitive column of a Parquet file value by value with parquet-hadoop's own
 * column readers: no record assembly and nothing of StreamLake's read path, so it checks what the
 * writers put on disk independently of the library's reader. Values come back as {@code byte[]}
 * (binary), {@code Integer}, {@code Long}, {@code Double} or {@code Boolean}, null where the
 * definition level says so.
 *
 * <pre>{@code
 * List<Object> values = ParquetColumns.read(new Path(tableRoot, file.path()), "value");
 * }</pre>
 */
public final class ParquetColumns {

    private ParquetColumns() {
    }

    /** @return every value of the column, in file order */
    public static List<Object> read(Path file, String column) {
        Configuration conf = new Configuration();
        List<Object> out = new ArrayList<>();
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(file, conf))) {
            MessageType schema = reader.getFooter().getFileMetaData().getSchema();
            ColumnDescriptor descriptor = schema.getColumnDescription(new String[] {column});
            if (descriptor.getMaxRepetitionLevel() != 0) {
                throw new IllegalArgumentException("column " + column + " is repeated; read top-level primitives only");
            }
            String createdBy = reader.getFooter().getFileMetaData().getCreatedBy();
            PageReadStore rowGroup;
            while ((rowGroup = reader.readNextRowGroup()) != null) {
                ColumnReadStoreImpl store = new ColumnReadStoreImpl(rowGroup, ignoring(schema), schema, createdBy);
                ColumnReader values = store.getColumnReader(descriptor);
                long n = values.getTotalValueCount();
                for (long i = 0; i < n; i++) {
                    if (values.getCurrentDefinitionLevel() < descriptor.getMaxDefinitionLevel()) {
                        out.add(null);
                    } else {
                        out.add(switch (descriptor.getPrimitiveType().getPrimitiveTypeName()) {
                            case BINARY, FIXED_LEN_BYTE_ARRAY -> values.getBinary().getBytes();
                            case INT32 -> values.getInteger();
                            case INT64 -> values.getLong();
                            case DOUBLE -> values.getDouble();
                            case FLOAT -> (double) values.getFloat();
                            case BOOLEAN -> values.getBoolean();
                            case INT96 -> values.getBinary().getBytes();
                        });
                    }
                    values.consume();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** Column readers want a converter tree; values are taken from the readers directly, so it ignores them. */
    private static GroupConverter ignoring(GroupType group) {
        List<Converter> children = new ArrayList<>();
        for (Type t : group.getFields()) {
            children.add(t.isPrimitive() ? new PrimitiveConverter() {
            } : ignoring(t.asGroupType()));
        }
        return new GroupConverter() {
            @Override
            public Converter getConverter(int fieldIndex) {
                return children.get(fieldIndex);
            }

            @Override
            public void start() {
            }

            @Override
            public void end() {
            }
        };
    }
}
