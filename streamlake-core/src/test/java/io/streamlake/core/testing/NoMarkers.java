package io.streamlake.core.testing;

import io.streamlake.source.PositionGap;
import io.streamlake.source.SourceContext;
import io.streamlake.source.SourcePartition;
import java.util.Map;
import java.util.OptionalLong;

/**
 * A source context of a pipeline that has committed nothing yet, for opening a source outside an
 * engine: no marker for any partition, gaps ignored, the storage options given. Shared through
 * streamlake-core's test jar.
 *
 * <pre>{@code
 * try (SourceReader reader = source.open(new NoMarkers("p"))) { ... }
 * }</pre>
 */
public final class NoMarkers implements SourceContext {
    private final String pipelineName;
    private final Map<String, String> storageOptions;

    /** @param pipelineName the pipeline's name, which sources use for consumer groups and logs */
    public NoMarkers(String pipelineName) {
        this(pipelineName, Map.of());
    }

    /**
     * @param pipelineName the pipeline's name
     * @param storageOptions the pipeline's storage settings
     */
    public NoMarkers(String pipelineName, Map<String, String> storageOptions) {
        this.pipelineName = pipelineName;
        this.storageOptions = storageOptions;
    }

    @Override
    public String pipelineName() {
        return pipelineName;
    }

    @Override
    public OptionalLong committedPosition(SourcePartition partition) {
        return OptionalLong.empty();
    }

    @Override
    public void reportGap(PositionGap gap) {
    }

    @Override
    public Map<String, String> storageOptions() {
        return storageOptions;
    }
}
