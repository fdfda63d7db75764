package io.streamlake.core.delta;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.delta.storage.CloseableIterator;
import io.delta.storage.LogStore;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.util.Iterator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.jspecify.annotations.Nullable;

/**
 * The log store of every table the library chooses one for ({@link LogStores}): another log store's
 * commits, with the operation names delta-standalone cannot write.
 *
 * <p>delta-standalone names a commit's operation only from its own list ({@code Operation.Name}: no
 * {@code OPTIMIZE}, for one) and refuses a commit info of the writer's making. So {@link DeltaCommit}
 * commits an operation outside that list as {@code Manual Update} with the name it wants in the
 * parameter {@value #PARAMETER}, and this store, as it writes the commit file, moves the name into
 * {@code commitInfo.operation} and drops the parameter, so that Spark's {@code DESCRIBE HISTORY} and
 * {@code WHERE operation = 'OPTIMIZE'} see what the commit did. Nothing else of the commit changes;
 * a commit info without the parameter (delta-standalone's own operations, other writers) is written
 * as it comes. Checkpoints and every read go to the delegate untouched.
 *
 * <p>The delegate is the store {@link LogStores} chose for the table's scheme, named in the table's
 * Hadoop configuration under {@value #DELEGATE}.
 */
public final class OperationNamingLogStore extends LogStore {
    /** The Hadoop configuration key naming the log store that does the work. */
    static final String DELEGATE = "streamlake.logStore.delegate";
    /** The operation parameter that carries an operation's name delta-standalone has no constant for. */
    static final String PARAMETER = "operation";
    private static final String UNNAMED = "Manual Update";
    /** Thread-safe once configured, and configured only here. */
    private static final JsonFactory JSON = new JsonFactory();

    private final LogStore delegate;

    /** @param conf the table's Hadoop configuration, as delta-standalone passes it */
    public OperationNamingLogStore(Configuration conf) {
        super(conf);
        String name = conf.get(DELEGATE);
        if (name == null) {
            throw new IllegalStateException(DELEGATE + " is not set: the library sets it with this store");
        }
        try {
            delegate = (LogStore) Class.forName(name, true, OperationNamingLogStore.class.getClassLoader())
                    .getConstructor(Configuration.class).newInstance(conf);
        } catch (ReflectiveOperationException e) {
            Throwable cause = e instanceof InvocationTargetException t && t.getCause() != null ? t.getCause() : e;
            throw new IllegalStateException("cannot create the log store " + name + ": " + cause, cause);
        }
    }

    /** @return the store that does the work */
    LogStore delegate() {
        return delegate;
    }

    @Override
    public void write(Path path, Iterator<String> actions, Boolean overwrite, Configuration conf) throws IOException {
        delegate.write(path, new Iterator<>() {
            @Override
            public boolean hasNext() {
                return actions.hasNext();
            }

            @Override
            public String next() {
                return named(actions.next());
            }
        }, overwrite, conf);
    }

    /**
     * @param action one action of a commit, as one line of JSON
     * @return the same action; a commit info that carries {@value #PARAMETER} with the operation named by it
     */
    static String named(String action) {
        if (!action.startsWith("{\"commitInfo\"") || !action.contains("\"" + UNNAMED + "\"")) {
            return action;
        }
        try {
            String name = parameter(action);
            return name == null ? action : rename(action, name);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a line delta-standalone just wrote as JSON, read from a String
        }
    }

    /** @return {@code commitInfo.operationParameters.operation}'s text, if the operation is unnamed */
    private static @Nullable String parameter(String action) throws IOException {
        boolean unnamed = false;
        String name = null;
        try (JsonParser p = JSON.createParser(action)) {
            String field = null;
            int depth = 0;
            boolean inParameters = false;
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                switch (t) {
                    case START_OBJECT, START_ARRAY -> {
                        inParameters = depth == 2 && "operationParameters".equals(field);
                        depth++;
                    }
                    case END_OBJECT, END_ARRAY -> {
                        depth--;
                        inParameters = false;
                    }
                    case FIELD_NAME -> field = p.currentName();
                    case VALUE_STRING -> {
                        if (depth == 2 && "operation".equals(field)) {
                            unnamed = UNNAMED.equals(p.getText());
                        } else if (depth == 3 && inParameters && PARAMETER.equals(field)) {
                            name = p.getText();
                        }
                    }
                    default -> {
                    }
                }
            }
        }
        if (!unnamed || name == null) {
            return null;
        }
        // the parameter's value is a JSON literal (DeltaCommit writes a JSON string): its text, unquoted
        return name.length() >= 2 && name.startsWith("\"") && name.endsWith("\"") ? name.substring(1,
                name.length() - 1) : name;
    }

    /** Copies the action with {@code commitInfo.operation} set to the name and the parameter left out. */
    private static String rename(String action, String name) throws IOException {
        StringWriter out = new StringWriter(action.length());
        try (JsonParser p = JSON.createParser(action); JsonGenerator g = JSON.createGenerator(out)) {
            int depth = 0;
            boolean inParameters = false;
            String field = null;
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                if (t == JsonToken.FIELD_NAME) {
                    field = p.currentName();
                    if (depth == 3 && inParameters && PARAMETER.equals(field)) {
                        p.nextToken();
                        p.skipChildren(); // the parameter and its value stay out
                        continue;
                    }
                } else if (t == JsonToken.VALUE_STRING && depth == 2 && "operation".equals(field)) {
                    g.writeString(name);
                    continue;
                } else if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
                    inParameters = depth == 2 && "operationParameters".equals(field);
                    depth++;
                } else if (t == JsonToken.END_OBJECT || t == JsonToken.END_ARRAY) {
                    depth--;
                    inParameters = false;
                }
                g.copyCurrentEvent(p);
            }
        }
        return out.toString();
    }

    @Override
    public CloseableIterator<String> read(Path path, Configuration conf) throws IOException {
        return delegate.read(path, conf);
    }

    @Override
    public Iterator<FileStatus> listFrom(Path path, Configuration conf) throws IOException {
        return delegate.listFrom(path, conf);
    }

    @Override
    public Path resolvePathOnPhysicalStorage(Path path, Configuration conf) throws IOException {
        return delegate.resolvePathOnPhysicalStorage(path, conf);
    }

    @Override
    public Boolean isPartialWriteVisible(Path path, Configuration conf) throws IOException {
        return delegate.isPartialWriteVisible(path, conf);
    }

    @Override
    public Configuration initHadoopConf() {
        return delegate.initHadoopConf();
    }
}
