package io.streamlake.core.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.streamlake.core.testing.HidingClassLoader;
import io.streamlake.exceptions.ConfigurationException;
import io.streamlake.source.RecordArchive;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Capture archive as a {@link RecordArchive} of its own, made where the pipeline is described. */
class CaptureArchiveTest {
    private static final String KEY =
            "QWNjb3VudEtleVRoYXRNdXN0TmV2ZXJCZVByaW50ZWRBY2NvdW50S2V5VGhhdE11c3ROZXZlckJlUHJpbnRlZA==";

    @TempDir Path tmp;

    @Test
    void definingAnArchiveTouchesNoStorageChecksItsArgumentsAndPrintsNoSecret() {
        Path root = tmp.resolve("not-yet");
        RecordArchive archive = CaptureArchive.at(root.toString(), "orders-ingest",
                Map.of("fs.azure.account.key.acct.dfs.core.windows.net", KEY));
        assertThat(root).doesNotExist();
        assertThat(archive.toString()).contains("orders-ingest").doesNotContain(KEY)
                .doesNotContain(KEY.substring(0, 12));

        assertThatThrownBy(() -> CaptureArchive.at(" ", "ns")).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("must not be blank");
        assertThatThrownBy(() -> CaptureArchive.at("a", " ")).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> CaptureArchive.at("a", "x/y")).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("'x/y'");
        assertThatThrownBy(() -> CaptureArchive.at("a", null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("namespace");
    }

    @Test
    void withoutAvroTheArchiveIsRefusedWhereItIsDefinedNamingTheDependency() throws Exception {
        try (HidingClassLoader loader = new HidingClassLoader("org.apache.avro.", "no Avro on this class path")) {
            Class<?> factory = Class.forName(CaptureArchive.class.getName(), true, loader);
            assertThat(factory.getClassLoader()).isSameAs(loader);
            InvocationTargetException thrown = catchThrowableOfType(InvocationTargetException.class,
                    () -> factory.getMethod("at", String.class, String.class)
                            .invoke(null, tmp.resolve("archive").toString(), "orders-ingest"));
            // the loader's own ConfigurationException class, so compared by name
            assertThat(thrown.getCause().getClass().getName()).isEqualTo(ConfigurationException.class.getName());
            assertThat(thrown.getCause()).hasMessageContaining("Apache Avro")
                    .hasMessageContaining("org.apache.avro:avro").hasMessageContaining("orders-ingest");
        }
    }
}
