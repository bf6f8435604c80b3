package pipegen.jackson;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Front50's Application as Jackson sees it (front50-core model/application/Application.java):
 * six typed strings, cloudProviders untyped on the way in and a comma-joined String on the way
 * out, trafficGuards a typed list kept among the other attributes, and every other attribute
 * kept by the any-setter. The id is the name lower-cased; the name is written upper-cased.
 */
public class Application implements Timestamped {
  private String name;
  private String description;
  private String email;
  private String updateTs;
  private String createTs;
  private String lastModifiedBy;
  private Object cloudProviders;
  private final Map<String, Object> details = new HashMap<>();

  public String getName() {
    return name == null ? null : name.toUpperCase().trim();
  }

  public void setName(String name) {
    this.name = name;
  }

  public String getDescription() {
    return description;
  }

  public void setDescription(String description) {
    this.description = description;
  }

  public String getEmail() {
    return email;
  }

  public void setEmail(String email) {
    this.email = email;
  }

  public String getUpdateTs() {
    return updateTs;
  }

  public void setUpdateTs(String updateTs) {
    this.updateTs = updateTs;
  }

  public String getCreateTs() {
    return createTs;
  }

  public void setCreateTs(String createTs) {
    this.createTs = createTs;
  }

  @Override
  public String getLastModifiedBy() {
    return lastModifiedBy;
  }

  @Override
  public void setLastModifiedBy(String lastModifiedBy) {
    this.lastModifiedBy = lastModifiedBy;
  }

  /** Orca reads a String: a list is joined with commas (a null element fails, as Guava's Joiner does). */
  @SuppressWarnings("unchecked")
  public String getCloudProviders() {
    if (cloudProviders instanceof List) {
      StringBuilder b = new StringBuilder();
      for (Object o : (List<Object>) cloudProviders) {
        if (o == null) {
          throw new NullPointerException("null cloud provider");
        }
        if (b.length() > 0) {
          b.append(',');
        }
        b.append(o);
      }
      return b.toString();
    }
    return (String) cloudProviders;
  }

  public void setCloudProviders(Object cloudProviders) {
    this.cloudProviders = cloudProviders;
  }

  @SuppressWarnings("unchecked")
  public List<TrafficGuard> getTrafficGuards() {
    List<TrafficGuard> guards = (List<TrafficGuard>) details.get("trafficGuards");
    return guards == null ? new ArrayList<>() : guards;
  }

  public void setTrafficGuards(List<TrafficGuard> trafficGuards) {
    details.put("trafficGuards", trafficGuards);
  }

  @JsonAnyGetter
  public Map<String, Object> details() {
    return details;
  }

  @JsonAnySetter
  public void set(String key, Object value) {
    details.put(key, value);
  }

  @Override
  @JsonIgnore
  public String getId() {
    return name.toLowerCase();
  }

  @Override
  @JsonIgnore
  public Long getLastModified() {
    return updateTs == null || updateTs.isEmpty() ? null : Long.valueOf(updateTs);
  }

  @Override
  public void setLastModified(Long lastModified) {
    this.updateTs = lastModified.toString();
  }
}
