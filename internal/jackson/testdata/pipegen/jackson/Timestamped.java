package pipegen.jackson;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * Front50's Timestamped interface as Jackson sees it, with its mix-in's class annotation: the
 * createdAt property (a Long setter that does nothing) is ignored on reading.
 */
@JsonIgnoreProperties(value = {"createdAt"})
public interface Timestamped {
  String getId();

  Long getLastModified();

  void setLastModified(Long lastModified);

  String getLastModifiedBy();

  void setLastModifiedBy(String lastModifiedBy);

  default void setCreatedAt(Long createdAt) {}

  default Long getCreatedAt() {
    return null;
  }
}
