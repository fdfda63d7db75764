package io.streamlake.samples;

import io.streamlake.core.kafka.KafkaSource;
import io.streamlake.table.BronzeLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * The bronze limit: what one thread reaches that reads a topic with a plain {@link KafkaConsumer}
 * and writes every record with parquet-hadoop's {@link ParquetWriter} into the bronze columns, as a
 * hand-written job would: no Delta log, no markers, no batches, no second thread. It writes the
 * bronze layout's Parquet schema ({@link #SCHEMA}, {@link BronzeLayout}) with the settings bronze
 * files are written with (snappy, Parquet's row-group and page sizes, v1 pages, dictionaries only for
 * the few-valued columns, no page checksums, no min/max for keys and payloads), and rolls over to a
 * new file every {@code fileRows} records, so its files are about the size of the pipeline's.
 * {@link KafkaBenchmark} measures bronze against it.
 *
 * <pre>{@code
 * long written = BronzeLimitLoop.run(bootstrapServers, "orders", 4, 1_000_000, Path.of("limit"), Map.of(), 100_000);
 * }</pre>
 */
public final class BronzeLimitLoop {
    /**
     * The Parquet schema of bronze files ({@link BronzeLayout#SCHEMA} as the Delta table writes it),
     * spelled out as a hand-written job would; the samples' test checks it against a bronze file.
     */
    public static final MessageType SCHEMA = MessageTypeParser.parseMessageType("""
            message spark_schema {
              optional binary key;
              optional binary value;
              required binary source (STRING);
              required int32 partition;
              required int64 position;
              optional int64 source_timestamp (TIMESTAMP(MICROS,true));
              optional group headers (MAP) {
                repeated group key_value {
                  required binary key (STRING);
                  optional binary value;
                }
              }
              required int64 ingestion_time (TIMESTAMP(MICROS,true));
              optional group metadata (MAP) {
                repeated group key_value {
                  required binary key (STRING);
                  optional binary value (STRING);
                }
              }
            }""");

    private BronzeLimitLoop() {
    }

    /**
     * Reads {@code events} records from the start of the topic's partitions and writes them as
     * bronze rows into files {@code part-N.snappy.parquet} under {@code folder}.
     *
     * @param consumerSettings Kafka consumer settings over the source's fetch defaults
     * @param fileRows rows per file
     * @return how many rows the files hold
     * @throws UncheckedIOException if a file cannot be written
     */
    public static long run(String bootstrapServers, String topic, int partitions, long events, Path folder,
            Map<String, String> consumerSettings, long fileRows) {
        byte[] source = topic.getBytes(StandardCharsets.UTF_8);
        long count = 0;
        int files = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = fromStart(bootstrapServers, topic, partitions,
                consumerSettings)) {
            Files.createDirectories(folder);
            ParquetWriter<ConsumerRecord<byte[], byte[]>> writer = null;
            long inFile = 0;
            try {
                while (count < events) {
                    ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofSeconds(1));
                    for (ConsumerRecord<byte[], byte[]> r : records) {
                        if (writer == null) {
                            writer = open(folder.resolve("part-" + files++ + ".snappy.parquet"), source);
                        }
                        writer.write(r);
                        count++;
                        if (++inFile == fileRows) {
                            writer.close();
                            writer = null;
                            inFile = 0;
                        }
                    }
                }
            } finally {
                if (writer != null) {
                    writer.close();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the limit loop's files in " + folder, e);
        }
        return count;
    }

    /**
     * A consumer of every partition of the topic from its start, with the source's fetch settings
     * (the same requests to the broker as the pipelines make) under the given ones.
     */
    static KafkaConsumer<byte[], byte[]> fromStart(String bootstrapServers, String topic, int partitions,
            Map<String, String> consumerSettings) {
        Map<String, Object> config = new HashMap<>(KafkaSource.FETCH_DEFAULTS);
        config.putAll(consumerSettings);
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        List<TopicPartition> assigned = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            assigned.add(new TopicPartition(topic, p));
        }
        consumer.assign(assigned);
        consumer.seekToBeginning(assigned);
        return consumer;
    }

    private static ParquetWriter<ConsumerRecord<byte[], byte[]>> open(Path file, byte[] source) throws IOException {
        // Microseconds, as bronze's ingestion_time: one value per file, as bronze has one per batch.
        long ingestionMicros = Math.multiplyExact(System.currentTimeMillis(), 1000L);
        Writer.Builder b = new Writer.Builder(new LocalOutputFile(file), source, ingestionMicros)
                .withConf(new Configuration(false))
                .withWriteMode(ParquetFileWriter.Mode.CREATE)
                .withCompressionCodec(CompressionCodecName.SNAPPY)
                .withWriterVersion(ParquetProperties.WriterVersion.PARQUET_1_0)
                .withPageWriteChecksumEnabled(false)
                .withDictionaryEncoding(false);
        for (String c : List.of("source", "partition", "headers.key_value.key", "metadata.key_value.key")) {
            b.withDictionaryEncoding(c, true);
        }
        for (String c : List.of("key", "value", "headers.key_value.value", "metadata.key_value.value")) {
            b.withStatisticsEnabled(c, false);
        }
        return b.build();
    }

    /** A consumer record as a bronze row, straight into Parquet's record consumer. */
    private static final class Writer extends WriteSupport<ConsumerRecord<byte[], byte[]>> {
        private final Binary source;
        private final long ingestionMicros;
        private RecordConsumer out;

        Writer(byte[] source, long ingestionMicros) {
            this.source = Binary.fromConstantByteArray(source);
            this.ingestionMicros = ingestionMicros;
        }

        @Override
        @SuppressWarnings("deprecation")
        public WriteContext init(Configuration configuration) {
            return new WriteContext(SCHEMA, Map.of());
        }

        @Override
        public WriteContext init(ParquetConfiguration configuration) {
            return new WriteContext(SCHEMA, Map.of());
        }

        @Override
        public void prepareForWrite(RecordConsumer recordConsumer) {
            this.out = recordConsumer;
        }

        @Override
        public void write(ConsumerRecord<byte[], byte[]> r) {
            RecordConsumer rc = out;
            rc.startMessage();
            binary(rc, "key", 0, r.key());
            binary(rc, "value", 1, r.value());
            rc.startField("source", 2);
            rc.addBinary(source);
            rc.endField("source", 2);
            rc.startField("partition", 3);
            rc.addInteger(r.partition());
            rc.endField("partition", 3);
            rc.startField("position", 4);
            rc.addLong(r.offset());
            rc.endField("position", 4);
            rc.startField("source_timestamp", 5);
            // a record without a time (-1) gets the epoch, as the Kafka source gives it
            rc.addLong(Math.max(0, r.timestamp()) * 1000);
            rc.endField("source_timestamp", 5);
            Header[] headers = r.headers().toArray();
            if (headers.length > 0) {
                rc.startField("headers", 6);
                rc.startGroup();
                rc.startField("key_value", 0);
                for (Header h : headers) {
                    rc.startGroup();
                    rc.startField("key", 0);
                    rc.addBinary(Binary.fromString(h.key()));
                    rc.endField("key", 0);
                    binary(rc, "value", 1, h.value());
                    rc.endGroup();
                }
                rc.endField("key_value", 0);
                rc.endGroup();
                rc.endField("headers", 6);
            }
            rc.startField("ingestion_time", 7);
            rc.addLong(ingestionMicros);
            rc.endField("ingestion_time", 7);
            // metadata (8): Kafka records have no facts beyond the columns, as in bronze
            rc.endMessage();
        }

        private static void binary(RecordConsumer rc, String field, int index, byte[] v) {
            if (v != null) {
                rc.startField(field, index);
                rc.addBinary(Binary.fromConstantByteArray(v));
                rc.endField(field, index);
            }
        }

        /** parquet-hadoop's builder, which needs a subclass to take a write support. */
        static final class Builder extends ParquetWriter.Builder<ConsumerRecord<byte[], byte[]>, Builder> {
            private final byte[] source;
            private final long ingestionMicros;

            Builder(OutputFile file, byte[] source, long ingestionMicros) {
                super(file);
                this.source = source;
                this.ingestionMicros = ingestionMicros;
            }

            @Override
            protected Builder self() {
                return this;
            }

            @Override
            protected WriteSupport<ConsumerRecord<byte[], byte[]>> getWriteSupport(Configuration conf) {
                return new Writer(source, ingestionMicros);
            }
        }
    }
}
