package pipegen.jackson;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonSetter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Front50's Application.Permission as Jackson sees it: name, lastModified (a Long),
 * lastModifiedBy and Fiat's Permissions, the legacy requiredGroupMembership setter, and no place
 * for any other field (no any-setter, so Jackson refuses one).
 */
public class ApplicationPermission implements Timestamped {
  private String name;
  private Long lastModified;
  private String lastModifiedBy;
  private Permissions permissions = Permissions.factory(new HashMap<>());

  @Override
  @JsonIgnore
  public String getId() {
    return name.toLowerCase();
  }

  @JsonSetter
  public void setRequiredGroupMembership(List<String> groups) {
    if (!permissions.isRestricted()) {
      Map<Authorization, Set<String>> m = new HashMap<>();
      m.put(Authorization.READ, new java.util.HashSet<>(groups));
      m.put(Authorization.WRITE, new java.util.HashSet<>(groups));
      permissions = Permissions.factory(m);
    }
  }

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  @Override
  public Long getLastModified() {
    return lastModified;
  }

  @Override
  public void setLastModified(Long lastModified) {
    this.lastModified = lastModified;
  }

  @Override
  public String getLastModifiedBy() {
    return lastModifiedBy;
  }

  @Override
  public void setLastModifiedBy(String lastModifiedBy) {
    this.lastModifiedBy = lastModifiedBy;
  }

  public Permissions getPermissions() {
    return permissions;
  }

  public void setPermissions(Permissions permissions) {
    this.permissions = permissions;
  }
}
