package io.streamlake.core.util;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HandoffTest {
    @Test
    void anObjectIsFoundByTheIdInItsSettingWhileTheSettingLives() {
        Object credential = new Object();
        String setting = Handoff.register(credential, id -> "module required credential=\"" + id + "\";");
        String id = setting.substring(setting.indexOf('"') + 1, setting.lastIndexOf('"'));
        assertThat(id).startsWith("streamlake-");
        assertThat(Handoff.lookup(id, Object.class)).containsSame(credential);
        assertThat(Handoff.lookup("streamlake-unknown", Object.class)).isEmpty();
        assertThatThrownBy(() -> Handoff.lookup(id, String.class)).isInstanceOf(ClassCastException.class);
        assertThat(setting).isNotNull(); // keeps the entry alive up to here
    }

    @Test
    void theEntryIsDroppedOnceNothingHoldsItsSetting() throws InterruptedException {
        Map<String, String> settings = new HashMap<>();
        settings.put("sasl.jaas.config", Handoff.register(new Object(), id -> "x " + id));
        String id = settings.get("sasl.jaas.config").substring(2);
        Map<String, String> copy = Map.copyOf(settings); // copies of settings keep the same string
        settings.clear();
        System.gc();
        assertThat(Handoff.lookup(id, Object.class)).as("a copy still names it").isPresent();

        copy = null;
        for (int i = 0; i < 100 && Handoff.lookup(id, Object.class).isPresent(); i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertThat(Handoff.lookup(id, Object.class)).isEmpty();
        assertThat(copy).isNull();
    }

    @Test
    void aSettingMustContainItsId() {
        assertThatThrownBy(() -> Handoff.register(new Object(), id -> "no id"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
