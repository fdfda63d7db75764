package io.streamlake.core.testing;

import java.io.File;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads the test's class path itself (child first) and refuses every class under a package prefix:
 * an application's class path without an optional dependency (the Azure SDK, Avro).
 */
public final class HidingClassLoader extends URLClassLoader {
    private final String hiddenPrefix;
    private final String why;

    /**
     * @param hiddenPrefix package prefix of the classes that cannot load, such as {@code "com.azure."}
     * @param why shown in the {@link ClassNotFoundException}, such as {@code "a Kafka-only class path"}
     */
    public HidingClassLoader(String hiddenPrefix, String why) {
        super(classPath(), ClassLoader.getPlatformClassLoader());
        this.hiddenPrefix = hiddenPrefix;
        this.why = why;
    }

    private static URL[] classPath() {
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            try {
                urls.add(new File(entry).toURI().toURL());
            } catch (MalformedURLException e) {
                throw new IllegalStateException("class path entry " + entry, e);
            }
        }
        return urls.toArray(URL[]::new);
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (name.startsWith(hiddenPrefix)) {
            throw new ClassNotFoundException(name + " (hidden: " + why + ")");
        }
        return super.loadClass(name, resolve);
    }
}
