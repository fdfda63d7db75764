package io.streamlake.core.delta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.core.storage.NioLocalFileSystem;
import io.streamlake.schema.DataType;
import io.streamlake.schema.Row;
import io.streamlake.schema.Schema;
import io.streamlake.table.DataFileWriter;
import java.io.FileNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.permission.FsPermission;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NioLocalFileSystemTest {

    @Test
    void statusAndPermissionsComeFromNio(@TempDir Path dir) throws Exception {
        NioLocalFileSystem fs = new NioLocalFileSystem();
        fs.initialize(java.net.URI.create("file:///"), new Configuration());
        Path file = Files.writeString(dir.resolve("a.txt"), "hello");
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(file.toUri());
        fs.setPermission(p, new FsPermission((short) 0640));
        FileStatus s = fs.getFileStatus(p);
        assertThat(s.getLen()).isEqualTo(5);
        assertThat(s.isDirectory()).isFalse();
        assertThat(s.getPermission().toShort()).isEqualTo((short) 0640);
        assertThat(s.getOwner()).isNotBlank();
        assertThat(fs.getFileStatus(new org.apache.hadoop.fs.Path(dir.toUri())).isDirectory()).isTrue();
        assertThatThrownBy(() -> fs.getFileStatus(new org.apache.hadoop.fs.Path(dir.resolve("missing").toUri())))
                .isInstanceOf(FileNotFoundException.class);
    }

    @Test
    void localTablesWriteNoChecksumFilesAndReadBackWithKernel(@TempDir Path dir) throws Exception {
        Schema schema = Schema.builder().required("id", DataType.LONG).build();
        DeltaTable table = DeltaTable.open(dir.toString(), Map.of());
        table.create(schema);
        for (long i = 0; i < 3; i++) {
            try (DataFileWriter w = table.newDataFile(schema)) {
                w.write(Row.of(schema, i));
                table.newCommit().add(w.finish()).commit("WRITE");
            }
        }
        try (Stream<Path> files = Files.walk(dir)) {
            assertThat(files.map(Path::toString)).noneMatch(name -> name.endsWith(".crc"));
        }
        assertThat(KernelReader.rows(dir.toString())).hasSize(3);
    }
}
