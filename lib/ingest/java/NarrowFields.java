package crashrates.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.DataType;

/**
 * The fast half of the parse, inside the JVM: the narrow fields of one raw ping line, read
 * straight from its UTF-8 bytes.
 *
 * <p>{@code lib.ingest.fastparse} registers one instance per doc type as a Java UDF of the raw
 * line's bytes, with its plan: the JSON text of the leaves to read, {@code {"leaves":
 * [[["payload", "info", "subsessionLength"], "bigint"], ...], "variants": [...]}}, where
 * variant leaves are paths only skipped here. The result is a struct of {@code _undecided} and
 * one typed value per leaf, in the plan's order.
 *
 * <p>The line is checked against JSON's grammar (RFC 8259) as a whole, and only the objects on
 * the way to a leaf are read into values; everything else is skipped over byte by byte, without
 * building a token. A line is <em>decided</em> when it is one JSON object in which every object
 * the job descends into is an object without repeated keys and every leaf the job reads is
 * absent, null, or of its declared JSON type (a string; an integer within 64 bits; a boolean).
 * Anything else is <em>undecided</em>, and Spark's exact parse (Jackson, with lenient options:
 * NaN, single quotes) reads that line alone. Beyond the grammar, a line is undecided where the
 * two could disagree: nesting beyond Jackson's 1,000 levels; a number, string or key longer than
 * this reader takes (well within Jackson's limits); a key with an escape or a non-ASCII byte in
 * an object the job reads; a string read whose bytes are not UTF-8 or whose escapes leave a lone
 * surrogate. {@code tests/lib/ingest/test_fastparse.py} compares the two paths row for row.
 */
public final class NarrowFields implements UDF1<byte[], Row> {
  private static final long serialVersionUID = 1L;

  /** Spark's JSON parser (Jackson) refuses documents nested deeper than this. */
  static final int MAX_NESTING_DEPTH = 1000;
  /** Longer numbers are left to Jackson, which refuses those beyond 1,000 characters. */
  static final int MAX_NUMBER_LENGTH = 500;
  /** Longer strings are left to Jackson, which refuses those beyond its own limit. */
  static final int MAX_STRING_BYTES = 1 << 20;
  /** Longer keys are left to Jackson, which refuses those beyond 50,000 characters. */
  static final int MAX_KEY_BYTES = 10_000;

  private static final Map<String, Node> PLANS = new ConcurrentHashMap<>();

  private final String planText;
  // The parsed plan, shared and never changed; everything else lives in a call, since the
  // driver's instance may be called by several threads (constant folding while planning).
  private transient Node root;

  /** Where a JSON key leads: a typed leaf (its position), a variant leaf, or an object. */
  static final class Node {
    final Map<String, Node> children = new HashMap<>();
    int position = -1; // a typed leaf's output position
    char kind; // 's' string, 'l' bigint, 'b' boolean; 0 for an object or a variant leaf
    int leaves;

    boolean isObject() {
      return !children.isEmpty();
    }
  }

  /** The line needs the exact parse. */
  private static final class Undecided extends Exception {
    private static final long serialVersionUID = 1L;
    static final Undecided INSTANCE = new Undecided();

    private Undecided() {
      super(null, null, false, false);
    }
  }

  private NarrowFields(String planText) {
    this.planText = planText;
    this.root = plan(planText);
  }

  /** Registers the reader of {@code planText}'s leaves as the SQL function {@code name}. */
  public static void register(SparkSession spark, String name, String planText, String resultJson) {
    spark.udf().register(name, new NarrowFields(planText), DataType.fromJson(resultJson));
  }

  static Node plan(String text) {
    return PLANS.computeIfAbsent(text, NarrowFields::parsePlan);
  }

  private static Node parsePlan(String text) {
    Node root = new Node();
    JsonNode spec;
    try {
      spec = new ObjectMapper().readTree(text);
    } catch (IOException e) {
      throw new IllegalArgumentException("not a plan: " + text, e);
    }
    int position = 0;
    for (JsonNode leaf : spec.get("leaves")) {
      Node node = descend(root, leaf.get(0));
      node.position = position++;
      node.kind = kind(leaf.get(1).asText());
    }
    for (JsonNode path : spec.get("variants")) {
      descend(root, path);
    }
    root.leaves = position;
    return root;
  }

  private static char kind(String declared) {
    switch (declared) {
      case "string":
        return 's';
      case "bigint":
        return 'l';
      case "boolean":
        return 'b';
      default:
        throw new IllegalArgumentException("no fast reading of a " + declared + " leaf");
    }
  }

  private static Node descend(Node root, JsonNode path) {
    Node node = root;
    for (JsonNode part : path) {
      node = node.children.computeIfAbsent(part.asText(), k -> new Node());
    }
    return node;
  }

  @Override
  public Row call(byte[] b) {
    if (root == null) {
      root = plan(planText);
    }
    Object[] out = new Object[root.leaves + 1];
    out[0] = Boolean.TRUE;
    if (b == null) {
      return RowFactory.create(out);
    }
    try {
      int i = whitespace(b, 0);
      if (i < b.length && b[i] == '{' && whitespace(b, readObject(b, i, root, 1, out)) == b.length) {
        out[0] = Boolean.FALSE;
      }
    } catch (Undecided | ArrayIndexOutOfBoundsException e) { // the line ended too early
      // undecided
    }
    if (out[0] == Boolean.TRUE) {
      Arrays.fill(out, null);
      out[0] = Boolean.TRUE;
    }
    return RowFactory.create(out);
  }

  private static int whitespace(byte[] b, int i) {
    while (i < b.length && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) {
      i++;
    }
    return i;
  }

  private static int expect(byte[] b, int i, char c) throws Undecided {
    if (b[i] != c) {
      throw Undecided.INSTANCE;
    }
    return i + 1;
  }

  /** Reads the object opening at {@code i} (at nesting {@code depth}); returns where it ends. */
  private static int readObject(byte[] b, int i, Node node, int depth, Object[] out) throws Undecided {
    i = whitespace(b, i + 1);
    if (b[i] == '}') {
      return i + 1;
    }
    Set<String> seen = new HashSet<>();
    while (true) {
      int start = expect(b, i, '"');
      int close = start;
      while (b[close] != '"') {
        if (b[close] == '\\' || b[close] < 0x20) { // an escape, a control or a non-ASCII byte
          throw Undecided.INSTANCE;
        }
        close++;
      }
      if (close - start > MAX_KEY_BYTES) {
        throw Undecided.INSTANCE;
      }
      String key = new String(b, start, close - start, StandardCharsets.ISO_8859_1);
      if (!seen.add(key)) {
        throw Undecided.INSTANCE; // the exact parse's variant refuses a repeated key
      }
      i = whitespace(b, expect(b, whitespace(b, close + 1), ':'));
      Node child = node.children.get(key);
      if (child == null || (!child.isObject() && child.position < 0)) {
        i = skipValue(b, i, depth); // not read, or a variant leaf (Spark reads it itself)
      } else if (child.isObject()) {
        if (b[i] != '{') {
          throw Undecided.INSTANCE; // null or another type where an object is read
        }
        if (depth + 1 > MAX_NESTING_DEPTH) {
          throw Undecided.INSTANCE;
        }
        i = readObject(b, i, child, depth + 1, out);
      } else {
        i = readLeaf(b, i, child, out);
      }
      i = whitespace(b, i);
      if (b[i] == '}') {
        return i + 1;
      }
      i = whitespace(b, expect(b, i, ','));
    }
  }

  private static int readLeaf(byte[] b, int i, Node leaf, Object[] out) throws Undecided {
    byte c = b[i];
    if (c == 'n') {
      return literal(b, i, "null"); // absent
    }
    switch (leaf.kind) {
      case 's':
        if (c == '"') {
          int end = skipString(b, i);
          out[leaf.position + 1] = text(b, i + 1, end - 1);
          return end;
        }
        break;
      case 'l':
        if (c == '-' || (c >= '0' && c <= '9')) {
          int end = skipNumber(b, i);
          out[leaf.position + 1] = integer(b, i, end);
          return end;
        }
        break;
      case 'b':
        if (c == 't') {
          out[leaf.position + 1] = Boolean.TRUE;
          return literal(b, i, "true");
        }
        if (c == 'f') {
          out[leaf.position + 1] = Boolean.FALSE;
          return literal(b, i, "false");
        }
        break;
      default:
        break;
    }
    throw Undecided.INSTANCE; // a wrong type: the exact parse names it
  }

  /** The integer of the number at [start, end): undecided for a fraction, an exponent or beyond 64 bits. */
  private static long integer(byte[] b, int start, int end) throws Undecided {
    boolean negative = b[start] == '-';
    int digits = end - start - (negative ? 1 : 0);
    long value = 0;
    for (int i = negative ? start + 1 : start; i < end; i++) {
      if (b[i] < '0' || b[i] > '9') {
        throw Undecided.INSTANCE; // a fraction or an exponent: Spark reads a decimal or a double
      }
      value = value * 10 + (b[i] - '0');
    }
    if (digits < 19) {
      return negative ? -value : value;
    }
    if (digits > 19) {
      throw Undecided.INSTANCE;
    }
    try {
      return Long.parseLong(new String(b, start, end - start, StandardCharsets.ISO_8859_1));
    } catch (NumberFormatException e) {
      throw Undecided.INSTANCE; // beyond 64 bits
    }
  }

  /** The string whose content (between the quotes) is [start, end), escapes decoded. */
  private static String text(byte[] b, int start, int end) throws Undecided {
    boolean plain = true;
    for (int i = start; i < end; i++) {
      if (b[i] < 0 || b[i] == '\\') {
        plain = false;
        break;
      }
    }
    if (plain) {
      return new String(b, start, end - start, StandardCharsets.ISO_8859_1);
    }
    String decoded;
    try {
      decoded =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(b, start, end - start))
              .toString();
    } catch (CharacterCodingException e) {
      throw Undecided.INSTANCE; // not UTF-8: Spark's reader would replace the bytes
    }
    if (decoded.indexOf('\\') < 0) {
      return decoded;
    }
    StringBuilder unescaped = new StringBuilder(decoded.length());
    for (int i = 0; i < decoded.length(); i++) {
      char c = decoded.charAt(i);
      if (c != '\\') {
        unescaped.append(c);
        continue;
      }
      char e = decoded.charAt(++i);
      switch (e) {
        case 'b':
          unescaped.append('\b');
          break;
        case 'f':
          unescaped.append('\f');
          break;
        case 'n':
          unescaped.append('\n');
          break;
        case 'r':
          unescaped.append('\r');
          break;
        case 't':
          unescaped.append('\t');
          break;
        case 'u':
          unescaped.append((char) Integer.parseInt(decoded.substring(i + 1, i + 5), 16));
          i += 4;
          break;
        default: // '"', '\\' and '/' stand for themselves
          unescaped.append(e);
          break;
      }
    }
    String result = unescaped.toString();
    if (!wellFormed(result)) {
      throw Undecided.INSTANCE;
    }
    return result;
  }

  /** False when {@code text} holds a lone surrogate (from an escape like {@code \ud800}). */
  static boolean wellFormed(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 == text.length() || !Character.isLowSurrogate(text.charAt(i + 1))) {
          return false;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  // -- skipping: the grammar checked, nothing built ---------------------------------------

  private static int literal(byte[] b, int i, String word) throws Undecided {
    for (int k = 0; k < word.length(); k++) {
      if (b[i + k] != word.charAt(k)) {
        throw Undecided.INSTANCE;
      }
    }
    return i + word.length();
  }

  /** Past the string opening at {@code i}: escapes checked, control characters refused. */
  private static int skipString(byte[] b, int i) throws Undecided {
    int start = i++;
    while (true) {
      byte c = b[i];
      if (c == '"') {
        break;
      }
      if (c == '\\') {
        byte e = b[i + 1];
        if (e == 'u') {
          for (int k = i + 2; k < i + 6; k++) {
            if (Character.digit(b[k], 16) < 0) {
              throw Undecided.INSTANCE;
            }
          }
          i += 6;
          continue;
        }
        if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't') {
          throw Undecided.INSTANCE;
        }
        i += 2;
        continue;
      }
      if (c >= 0 && c < 0x20) {
        throw Undecided.INSTANCE; // a raw control character
      }
      i++;
    }
    if (i - start > MAX_STRING_BYTES) {
      throw Undecided.INSTANCE;
    }
    return i + 1;
  }

  /** Past the number starting at {@code i}: {@code -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?}. */
  private static int skipNumber(byte[] b, int i) throws Undecided {
    int start = i;
    if (b[i] == '-') {
      i++;
    }
    if (b[i] == '0') {
      i++;
    } else {
      i = digits(b, i);
    }
    if (i < b.length && b[i] == '.') {
      i = digits(b, i + 1);
    }
    if (i < b.length && (b[i] == 'e' || b[i] == 'E')) {
      i++;
      if (b[i] == '+' || b[i] == '-') {
        i++;
      }
      i = digits(b, i);
    }
    if (i - start > MAX_NUMBER_LENGTH) {
      throw Undecided.INSTANCE;
    }
    return i;
  }

  /** Past one or more digits at {@code i}. */
  private static int digits(byte[] b, int i) throws Undecided {
    if (b[i] < '0' || b[i] > '9') {
      throw Undecided.INSTANCE;
    }
    do {
      i++;
    } while (i < b.length && b[i] >= '0' && b[i] <= '9');
    return i;
  }

  /** Past the value at {@code i}, inside a container at nesting {@code depth}. */
  private static int skipValue(byte[] b, int i, int depth) throws Undecided {
    byte c = b[i];
    if (c == '{' || c == '[') {
      return skipContainer(b, i, depth);
    }
    return skipScalar(b, i);
  }

  private static int skipScalar(byte[] b, int i) throws Undecided {
    switch (b[i]) {
      case '"':
        return skipString(b, i);
      case 't':
        return literal(b, i, "true");
      case 'f':
        return literal(b, i, "false");
      case 'n':
        return literal(b, i, "null");
      default:
        return skipNumber(b, i); // anything else is refused there
    }
  }

  /**
   * Past the object or array opening at {@code i}, nested in containers down to {@code depth},
   * without recursion: a bit per open container says whether it is an object.
   */
  private static int skipContainer(byte[] b, int i, int depth) throws Undecided {
    long[] objects = new long[(MAX_NESTING_DEPTH >> 6) + 1];
    int top = 0;
    while (true) {
      // here b[i] opens a container
      if (depth + top + 1 > MAX_NESTING_DEPTH) {
        throw Undecided.INSTANCE;
      }
      boolean object = b[i] == '{';
      top++;
      if (object) {
        objects[top >> 6] |= 1L << top;
      } else {
        objects[top >> 6] &= ~(1L << top);
      }
      i = whitespace(b, i + 1);
      if (b[i] == (object ? '}' : ']')) {
        i++; // empty
        if (--top == 0) {
          return i;
        }
      } else {
        i = member(b, i, object);
        if (b[i] == '{' || b[i] == '[') {
          continue; // descend
        }
        i = skipScalar(b, i);
      }
      // after a value: close containers, or move to the next member
      while (true) {
        i = whitespace(b, i);
        boolean inObject = (objects[top >> 6] >>> top & 1) != 0;
        if (b[i] == (inObject ? '}' : ']')) {
          i++;
          if (--top == 0) {
            return i;
          }
          continue;
        }
        i = member(b, whitespace(b, expect(b, i, ',')), inObject);
        if (b[i] == '{' || b[i] == '[') {
          break; // descend
        }
        i = skipScalar(b, i);
      }
    }
  }

  /** At a member's start: past {@code "key":} in an object; returns where its value starts. */
  private static int member(byte[] b, int i, boolean object) throws Undecided {
    if (!object) {
      return i;
    }
    if (b[i] != '"') {
      throw Undecided.INSTANCE;
    }
    int end = skipString(b, i);
    if (end - i - 2 > MAX_KEY_BYTES) {
      throw Undecided.INSTANCE;
    }
    return whitespace(b, expect(b, whitespace(b, end), ':'));
  }
}
