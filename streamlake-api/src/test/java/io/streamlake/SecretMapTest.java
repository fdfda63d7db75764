package io.streamlake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.streamlake.source.Source;
import io.streamlake.source.SourceContext;
import io.streamlake.source.SourceReader;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class SecretMapTest {
    private static final String KEY_NAME = "fs.azure.account.key.mylake.dfs.core.windows.net";
    private static final String KEY = "QWNjb3VudEtleVRoYXRNdXN0TmV2ZXJCZVByaW50ZWQ=";
    private static final String SAS_NAME = "fs.azure.sas.fixed.token.mylake.dfs.core.windows.net";
    private static final String SAS = "sv=2024-11-04&sp=rwdlac&sig=U2lnVGhhdE11c3ROZXZlckJlUHJpbnRlZA%3D%3D";

    private static Map<String, String> plain() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("fs.azure.account.auth.type.mylake.dfs.core.windows.net", "SharedKey");
        m.put(KEY_NAME, KEY);
        m.put(SAS_NAME, SAS);
        return m;
    }

    @Test
    void noStringFormOfTheMapItsEntriesOrItsValuesHoldsAValue() {
        SecretMap secrets = SecretMap.of(plain());

        assertThat(secrets.toString()).isEqualTo("{fs.azure.account.auth.type.mylake.dfs.core.windows.net=***, "
                + KEY_NAME + "=***, " + SAS_NAME + "=***}");
        assertThat(secrets.entrySet().toString()).contains(KEY_NAME + "=***").doesNotContain(KEY, SAS, "SharedKey");
        assertThat(secrets.entrySet().iterator().next().toString()).endsWith("=***");
        assertThat(secrets.values().toString()).isEqualTo("[***, ***, ***]");
        assertThat(secrets.keySet().toString()).contains(KEY_NAME);
        assertThat(String.valueOf(Map.of("options", secrets))).doesNotContain(KEY, SAS);
        assertThat(String.valueOf(java.util.List.of(secrets.entrySet()))).doesNotContain(KEY, SAS);
    }

    @Test
    void itIsANormalMapForReadersAndCopies() {
        Map<String, String> plain = plain();
        SecretMap secrets = SecretMap.of(plain);

        assertThat(secrets.get(KEY_NAME)).isEqualTo(KEY);
        assertThat(secrets.getOrDefault("missing", "d")).isEqualTo("d");
        assertThat(secrets).hasSize(3).containsEntry(SAS_NAME, SAS).containsKey(KEY_NAME).containsValue(KEY);
        assertThat(secrets.keySet()).containsExactly("fs.azure.account.auth.type.mylake.dfs.core.windows.net",
                KEY_NAME, SAS_NAME);
        assertThat(secrets.values()).containsExactly("SharedKey", KEY, SAS);

        // equals and hashCode follow the Map contract, both ways, with any other map
        assertThat(secrets).isEqualTo(plain);
        assertThat(plain).isEqualTo(secrets);
        assertThat(Map.copyOf(plain)).isEqualTo(secrets);
        assertThat(secrets.hashCode()).isEqualTo(plain.hashCode());
        assertThat(secrets.entrySet()).isEqualTo(plain.entrySet());
        assertThat(plain.entrySet()).isEqualTo(secrets.entrySet());
        assertThat(secrets.entrySet().iterator().next()).isEqualTo(Map.entry(
                "fs.azure.account.auth.type.mylake.dfs.core.windows.net", "SharedKey"));
        assertThat(secrets.entrySet().iterator().next().hashCode()).isEqualTo(Map.entry(
                "fs.azure.account.auth.type.mylake.dfs.core.windows.net", "SharedKey").hashCode());

        // copies keep the values (Hadoop needs them), in every usual way
        assertThat(new HashMap<>(secrets)).isEqualTo(plain);
        assertThat(new TreeMap<>(secrets)).isEqualTo(plain);
        assertThat(Map.copyOf(secrets)).isEqualTo(plain);
        Map<String, String> viaForEach = new HashMap<>();
        secrets.forEach(viaForEach::put);
        assertThat(viaForEach).isEqualTo(plain);
        Map<String, String> viaPutAll = new HashMap<>();
        viaPutAll.putAll(secrets);
        assertThat(viaPutAll).isEqualTo(plain);

        assertThat(SecretMap.of(secrets)).isSameAs(secrets);
        assertThat(SecretMap.of(Map.of())).isEmpty();
        assertThat(SecretMap.of(Map.of()).toString()).isEqualTo("{}");
    }

    @Test
    void itIsImmutableAndDoesNotFollowTheMapItWasBuiltFrom() {
        Map<String, String> plain = plain();
        SecretMap secrets = SecretMap.of(plain);
        plain.put("later", "value");
        assertThat(secrets).doesNotContainKey("later");

        assertThatThrownBy(() -> secrets.put("a", "b")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> secrets.remove("missing")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(secrets::clear).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> secrets.putAll(Map.of("a", "b"))).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> secrets.replaceAll((k, v) -> v)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> secrets.computeIfAbsent("x", k -> "y"))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> secrets.merge(KEY_NAME, "y", (a, b) -> b))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> secrets.entrySet().iterator().next().setValue("x"))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> secrets.entrySet().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> secrets.keySet().remove(KEY_NAME)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> secrets.values().remove(KEY)).isInstanceOf(UnsupportedOperationException.class);
        assertThat(secrets).isEqualTo(plain()).hasSize(3);
    }

    @Test
    void aNullValueIsRefusedNamingTheSettingNotAValue() {
        Map<String, String> withNull = new HashMap<>();
        withNull.put(KEY_NAME, null);
        assertThatThrownBy(() -> SecretMap.of(withNull)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining(KEY_NAME);
    }

    @Test
    void thePipelinesStorageOptionsAreASecretMapThatStillCopiesIntoHadoopSettings() {
        Pipeline p = Pipeline.from(new NoSource()).bronze("lake/bronze").bronzeOnly()
                .withStorageOptions(plain()).withStorageOption("fs.azure.io.retry.max.retries", "0");

        assertThat(p.storageOptions()).isInstanceOf(SecretMap.class).containsAllEntriesOf(plain())
                .containsEntry("fs.azure.io.retry.max.retries", "0");
        assertThat(p.storageOptions().toString()).doesNotContain(KEY, SAS, "SharedKey");
        assertThat(p.storageOptions().values().toString()).doesNotContain(KEY, SAS);
        assertThat(p.storageOptions().entrySet().toString()).doesNotContain(KEY, SAS);
        assertThat(p.toString()).doesNotContain(KEY, SAS);
        assertThat(new HashMap<>(p.storageOptions())).containsEntry(KEY_NAME, KEY).containsEntry(SAS_NAME, SAS);
        assertThat(Pipeline.from(new NoSource()).bronze("lake/bronze").bronzeOnly().storageOptions()).isEmpty();
    }

    private static final class NoSource implements Source {
        @Override
        public String name() {
            return "none";
        }

        @Override
        public SourceReader open(SourceContext context) {
            throw new UnsupportedOperationException();
        }
    }
}
