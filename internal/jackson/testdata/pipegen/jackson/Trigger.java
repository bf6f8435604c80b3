package pipegen.jackson;

import java.util.HashMap;

/** A pipeline trigger: to Jackson a map of any values (Front50's Trigger is a forwarding map). */
public class Trigger extends HashMap<String, Object> {}
