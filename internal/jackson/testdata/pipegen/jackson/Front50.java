package pipegen.jackson;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The ObjectMapper Front50's S3StorageService reads and writes objects with: a new ObjectMapper
 * with Jackson's defaults (FAIL_ON_UNKNOWN_PROPERTIES on, FAIL_ON_TRAILING_TOKENS off, scalar
 * coercion on, a UTF-8 BOM skipped) plus the Pipeline and Timestamped mix-ins. The models in this
 * package carry the mix-ins' annotations directly, which Jackson treats the same way.
 */
final class Front50 {
  private Front50() {}

  static ObjectMapper mapper() {
    return new ObjectMapper();
  }
}
