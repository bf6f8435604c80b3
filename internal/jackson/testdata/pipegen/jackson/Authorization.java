package pipegen.jackson;

/** Fiat's Authorization: the keys of a permissions map, read case-sensitively by Jackson. */
public enum Authorization {
  READ,
  WRITE,
  EXECUTE,
  CREATE
}
