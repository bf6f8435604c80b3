package pipegen.jackson;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads objects the way Front50's S3StorageService does (a plain ObjectMapper, readValue from the
 * object's byte stream into the model class) and answers, one JSON line per request, whether
 * Jackson accepted each and what Front50 would write back.
 *
 * <p>Request: a header line "MODEL LENGTH\n" followed by LENGTH bytes of body. MODEL is the
 * simple name of a class in this package. Reply: {"ok":true,"out":"..."} or
 * {"ok":false,"msg":"...","path":"..."}.
 */
public final class Harness {
  private Harness() {}

  public static void main(String[] args) throws IOException {
    ObjectMapper front50 = Front50.mapper();
    ObjectMapper replies = new ObjectMapper();
    DataInputStream in = new DataInputStream(new BufferedInputStream(System.in, 1 << 16));
    OutputStream out = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);
    Map<String, Class<?>> models = new HashMap<>();
    for (String header; (header = readLine(in)) != null; ) {
      int sp = header.indexOf(' ');
      String model = header.substring(0, sp);
      byte[] body = new byte[Integer.parseInt(header.substring(sp + 1))];
      in.readFully(body);
      Map<String, Object> reply = new LinkedHashMap<>();
      try {
        Class<?> cls = models.get(model);
        if (cls == null) {
          cls = Class.forName(Harness.class.getPackageName() + "." + model);
          models.put(model, cls);
        }
        Object value = front50.readValue(new ByteArrayInputStream(body), cls);
        if (value == null) {
          // A body that is JSON null reads as no object; Front50 then sets its lastModified
          // and fails.
          reply.put("ok", false);
          reply.put("msg", "the body is null, not an object");
        } else {
          reply.put("ok", true);
          reply.put("out", front50.writeValueAsString(value));
        }
      } catch (ClassNotFoundException e) {
        reply.put("ok", false);
        reply.put("msg", "no model class " + model);
        reply.put("harness", true);
      } catch (JsonMappingException e) {
        reply.put("ok", false);
        reply.put("msg", e.getOriginalMessage());
        reply.put("path", pathOf(e));
      } catch (JsonProcessingException e) {
        reply.put("ok", false);
        reply.put("msg", e.getOriginalMessage());
      } catch (IOException | RuntimeException e) {
        // Front50's refresh fails on these the same way as on a mapping error.
        reply.put("ok", false);
        reply.put("msg", e.getClass().getSimpleName() + ": " + e.getMessage());
      }
      out.write(replies.writeValueAsBytes(reply));
      out.write('\n');
      if (in.available() == 0) {
        out.flush();
      }
    }
    out.flush();
  }

  /** The reference chain as a JSON path: name.list[2].field. */
  static String pathOf(JsonMappingException e) {
    StringBuilder b = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        if (b.length() > 0) {
          b.append('.');
        }
        b.append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        b.append('[').append(r.getIndex()).append(']');
      }
    }
    return b.toString();
  }

  static String readLine(DataInputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int c; (c = in.read()) != '\n'; ) {
      if (c < 0) {
        return null;
      }
      b.write(c);
    }
    return b.toString(StandardCharsets.UTF_8);
  }
}
