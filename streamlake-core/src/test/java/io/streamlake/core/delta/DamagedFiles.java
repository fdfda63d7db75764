package io.streamlake.core.delta;

import io.streamlake.table.DataFile;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.page.DataPage;
import org.apache.parquet.column.page.DataPageV1;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.column.page.PageReader;
import org.apache.parquet.compression.CompressionCodecFactory.BytesInputCompressor;
import org.apache.parquet.format.PageHeader;
import org.apache.parquet.format.Util;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.SeekableInputStream;
import org.apache.parquet.schema.MessageType;

/**
 * Damages data files of local tables the ways verification must find, for tests here and in the
 * samples. The main one is the shared-buffer bug's: a run of bytes of another file's page spliced
 * into a page, with page headers and snappy framing valid and only the value stream wrong.
 */
public final class DamagedFiles {
    /** Bytes spliced in: enough to cover several length prefixes of a bronze payload page. */
    private static final int SPLICE = 600;

    private DamagedFiles() {
    }

    /**
     * Rewrites a data file with bytes of the donor's first page of the same column spliced into the
     * middle of one of its pages: the page is decompressed, overwritten in place, recompressed with
     * the file's codec, and written back with a header of the right sizes, so that only the decoded
     * value stream is wrong. The other row groups and column chunks are copied byte for byte.
     *
     * @param column the column's dotted path, a top-level column (one value per row)
     * @return the damaged file as the log must record it: the same rows and statistics, its new size
     */
    public static DataFile spliceIntoPage(DeltaTable table, DataFile victim, DataFile donor, String column,
            int rowGroup, int page) {
        Configuration conf = table.conf();
        Path path = table.resolve(victim.path());
        Path damaged = new Path(path.getParent(), "." + path.getName() + ".damaged");
        byte[] donorPage = firstPage(conf, table.resolve(donor.path()), column);
        CodecFactory codecs = new CodecFactory(conf, 1 << 20);
        try (ParquetFileReader in = ParquetFileReader.open(HadoopInputFile.fromPath(path, conf));
                SeekableInputStream raw = HadoopInputFile.fromPath(path, conf).newStream()) {
            ParquetMetadata footer = in.getFooter();
            MessageType schema = footer.getFileMetaData().getSchema();
            ColumnDescriptor target = schema.getColumnDescription(column.split("\\."));
            ParquetFileWriter out = new ParquetFileWriter(HadoopOutputFile.fromPath(damaged, conf), schema,
                    ParquetFileWriter.Mode.CREATE, ParquetWriter.DEFAULT_BLOCK_SIZE, 0,
                    ParquetProperties.DEFAULT_COLUMN_INDEX_TRUNCATE_LENGTH,
                    ParquetProperties.DEFAULT_STATISTICS_TRUNCATE_LENGTH, false);
            out.start();
            List<BlockMetaData> blocks = footer.getBlocks();
            if (rowGroup >= blocks.size()) {
                throw new IllegalArgumentException(victim.path() + " has " + blocks.size() + " row groups");
            }
            for (int g = 0; g < blocks.size(); g++) {
                BlockMetaData block = blocks.get(g);
                if (g != rowGroup) {
                    out.appendRowGroup(raw, block, false);
                    continue;
                }
                out.startBlock(block.getRowCount());
                for (ColumnChunkMetaData chunk : block.getColumns()) {
                    ColumnDescriptor d = schema.getColumnDescription(chunk.getPath().toArray());
                    if (!d.equals(target)) {
                        out.appendColumnChunk(d, raw, chunk, null, null, null);
                        continue;
                    }
                    in.setRequestedSchema(List.of(d));
                    PageReadStore store = in.readRowGroup(g);
                    PageReader pages = store.getPageReader(d);
                    BytesInputCompressor codec = codecs.getCompressor(chunk.getCodec());
                    out.startColumn(d, pages.getTotalValueCount(), chunk.getCodec());
                    DictionaryPage dictionary = pages.readDictionaryPage();
                    if (dictionary != null) {
                        byte[] b = bytes(dictionary.getBytes());
                        out.writeDictionaryPage(new DictionaryPage(codec.compress(BytesInput.from(b)), b.length,
                                dictionary.getDictionarySize(), dictionary.getEncoding()));
                    }
                    int index = 0;
                    for (DataPage p; (p = pages.readPage()) != null; index++) {
                        DataPageV1 v1 = (DataPageV1) p;
                        byte[] b = bytes(v1.getBytes());
                        if (index == page) {
                            int at = b.length / 2;
                            int from = donorPage.length / 3;
                            int length = Math.min(SPLICE, Math.min(b.length - at, donorPage.length - from));
                            System.arraycopy(donorPage, from, b, at, length);
                        }
                        out.writeDataPage(v1.getValueCount(), b.length, codec.compress(BytesInput.from(b)),
                                v1.getStatistics(), v1.getValueCount(), v1.getRlEncoding(), v1.getDlEncoding(),
                                v1.getValueEncoding());
                    }
                    if (page >= index) {
                        throw new IllegalArgumentException("column " + column + " of row group " + rowGroup + " of "
                                + victim.path() + " has " + index + " pages");
                    }
                    out.endColumn();
                    store.close();
                }
                out.endBlock();
            }
            out.end(footer.getFileMetaData().getKeyValueMetaData());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            codecs.release();
        }
        try {
            Files.move(local(damaged).toPath(), local(path).toPath(), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return resized(victim, local(path).length());
    }

    /** @return the data pages of a column chunk */
    public static int pageCount(DeltaTable table, DataFile file, String column, int rowGroup) {
        Configuration conf = table.conf();
        try (ParquetFileReader in =
                ParquetFileReader.open(HadoopInputFile.fromPath(table.resolve(file.path()), conf))) {
            ColumnDescriptor d = in.getFooter().getFileMetaData().getSchema().getColumnDescription(column.split("\\."));
            in.setRequestedSchema(List.of(d));
            PageReader pages = in.readRowGroup(rowGroup).getPageReader(d);
            int n = 0;
            while (pages.readPage() != null) {
                n++;
            }
            return n;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the row groups of a file */
    public static int rowGroups(DeltaTable table, DataFile file) {
        try (ParquetFileReader in = ParquetFileReader.open(HadoopInputFile.fromPath(table.resolve(file.path()),
                table.conf()))) {
            return in.getRowGroups().size();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Overwrites, in place, the header of one data page of a column chunk with bytes that do not parse
     * as a page header. The file keeps its size.
     */
    public static void breakPageHeader(DeltaTable table, DataFile file, String column, int rowGroup, int page) {
        File local = local(table.resolve(file.path()));
        try (ParquetFileReader in = ParquetFileReader.open(HadoopInputFile.fromPath(table.resolve(file.path()),
                table.conf()));
                RandomAccessFile out = new RandomAccessFile(local, "rw")) {
            ColumnChunkMetaData chunk = in.getRowGroups().get(rowGroup).getColumns().stream()
                    .filter(c -> c.getPath().toDotString().equals(column)).findFirst().orElseThrow();
            long at = chunk.getStartingPos();
            int dataPages = 0;
            while (true) {
                out.seek(at);
                PageHeader header = Util.readPageHeader(new java.io.InputStream() {
                    @Override
                    public int read() throws IOException {
                        return out.read();
                    }
                });
                boolean data = header.getType() == org.apache.parquet.format.PageType.DATA_PAGE;
                if (data && dataPages == page) {
                    out.seek(at);
                    // field type 15, which Thrift's compact protocol does not know: the header cannot parse
                    out.write(
                            new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF});
                    return;
                }
                if (data) {
                    dataPages++;
                }
                at = out.getFilePointer() + header.getCompressed_page_size();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Cuts a file down to a fraction of its bytes. */
    public static void truncate(DeltaTable table, DataFile file, double keep) {
        File local = local(table.resolve(file.path()));
        try (RandomAccessFile f = new RandomAccessFile(local, "rw")) {
            f.setLength((long) (f.length() * keep));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes a data file from storage, leaving the log as it is. */
    public static void delete(DeltaTable table, DataFile file) {
        try {
            Files.delete(local(table.resolve(file.path())).toPath());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the same file with another row count in its statistics */
    public static DataFile withRowCount(DataFile f, long rows) {
        return new DataFile(f.path(), f.sizeBytes(), rows, f.minValues(), f.maxValues(), f.nullCounts(),
                f.partitionValues());
    }

    private static DataFile resized(DataFile f, long size) {
        return new DataFile(f.path(), size, f.rowCount(), f.minValues(), f.maxValues(), f.nullCounts(),
                f.partitionValues());
    }

    /** The decompressed bytes of the first data page of a column of a file's first row group. */
    private static byte[] firstPage(Configuration conf, Path file, String column) {
        try (ParquetFileReader in = ParquetFileReader.open(HadoopInputFile.fromPath(file, conf))) {
            ColumnDescriptor d = in.getFooter().getFileMetaData().getSchema().getColumnDescription(column.split("\\."));
            in.setRequestedSchema(List.of(d));
            return bytes(((DataPageV1) in.readRowGroup(0).getPageReader(d).readPage()).getBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] bytes(BytesInput b) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(Math.toIntExact(b.size()));
        b.writeAllTo(out);
        return out.toByteArray();
    }

    private static File local(Path p) {
        return new File(p.toUri());
    }
}
