package pipegen.jackson;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Fiat's Permissions as Jackson sees it: created from a map of Authorization to a set of group
 * names (trimmed, lower-cased, empty names and empty sets dropped) and written back as that map.
 */
public final class Permissions {
  private final Map<Authorization, Set<String>> permissions;

  private Permissions(Map<Authorization, Set<String>> p) {
    this.permissions = Collections.unmodifiableMap(p);
  }

  @JsonCreator
  public static Permissions factory(Map<Authorization, Set<String>> data) {
    Map<Authorization, Set<String>> out = new EnumMap<>(Authorization.class);
    for (Authorization a : Authorization.values()) {
      Set<String> groups = data.get(a);
      if (groups == null) {
        continue;
      }
      Set<String> clean = new TreeSet<>();
      for (String g : groups) {
        String t = g.trim();
        if (!t.isEmpty()) {
          clean.add(t.toLowerCase());
        }
      }
      if (!clean.isEmpty()) {
        out.put(a, clean);
      }
    }
    return new Permissions(out);
  }

  @JsonValue
  Map<Authorization, Set<String>> value() {
    return permissions;
  }

  boolean isRestricted() {
    return !permissions.isEmpty();
  }
}
