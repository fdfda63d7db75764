package io.streamlake.core.delta;

import io.delta.standalone.actions.AddFile;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The arrival order of a table's data files, which the Delta log does not keep: delta-standalone's
 * {@code Snapshot.getAllFiles()} has no defined order (log replay, checkpoints), and neither has any
 * other reader's file listing. So every file the library commits carries its place in a tag of its
 * {@code add} action: {@code "<version>.<index>"}, the version its commit was based on plus one and
 * its index among the commit's added files; a file that replaced others (compaction) takes the first
 * replaced file's place followed by its own index, {@code "<place>.<index>"}. Places compare number
 * by number, a shorter prefix first.
 *
 * <p>The base version plus one is the commit's version unless a concurrent writer committed in
 * between, in which case two commits can share a version number in their places. The order that
 * matters survives that: per source partition, one writer commits at a time (the markers fence
 * others), and each of its commits is based on a version at or after its previous commit, so its
 * places strictly increase. Files without the tag (written by earlier versions of the library or by
 * other writers) come first, by commit time, then path: the best the log offers for them.
 */
final class FileOrder {
    /** The {@code add.tags} key. Tags are part of the Delta protocol and kept through checkpoints. */
    static final String TAG = "streamlake.order";

    private static final long[] UNTAGGED = {0};

    private FileOrder() {
    }

    /** @return the place of the {@code index}-th file added by a commit based on {@code readVersion} */
    static String of(long readVersion, int index) {
        return (readVersion + 1) + "." + index;
    }

    /** @return the place of the {@code index}-th file that replaces files starting at {@code first} */
    static String replacing(String first, int index) {
        return first + "." + index;
    }

    /** @return the file's place as its tag says, or a place among the untagged files that come first */
    static String of(AddFile add) {
        Map<String, String> tags = add.getTags();
        String place = tags == null ? null : tags.get(TAG);
        return place != null ? place : "0." + add.getModificationTime();
    }

    /** @return the files in arrival order */
    static List<AddFile> sort(List<AddFile> files) {
        record Placed(long[] place, AddFile add) {
        }
        List<Placed> placed = new ArrayList<>(files.size());
        for (AddFile add : files) {
            placed.add(new Placed(parse(of(add)), add));
        }
        placed.sort(Comparator.<Placed, long[]>comparing(Placed::place, FileOrder::compare)
                .thenComparing(p -> p.add().getPath()));
        List<AddFile> out = new ArrayList<>(files.size());
        placed.forEach(p -> out.add(p.add()));
        return out;
    }

    /** @return the numbers of a place; an unreadable tag (not ours) counts as untagged */
    static long[] parse(String place) {
        String[] parts = place.split("\\.");
        long[] out = new long[parts.length];
        try {
            for (int i = 0; i < parts.length; i++) {
                out[i] = Long.parseLong(parts[i]);
            }
        } catch (NumberFormatException e) {
            return UNTAGGED;
        }
        return out;
    }

    /** Number by number; a prefix comes before what extends it. */
    static int compare(long[] a, long[] b) {
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            int c = Long.compare(a[i], b[i]);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.length, b.length);
    }
}
