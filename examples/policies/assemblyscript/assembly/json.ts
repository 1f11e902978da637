// JSON for the Palisade helper layer: values with readers that never fail,
// a recursive-descent parser of UTF-8 text in linear memory, and a writer of
// UTF-8 JSON text. AssemblyScript strings are UTF-16; both ends convert.

/** What Palisade puts where a value is known only after apply. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

// ---------------------------------------------------------------- JSON values

export enum JsonKind {
  Absent,
  Null,
  Bool,
  Number,
  String,
  Array,
  Object,
}

/**
 * A JSON value. Readers never fail: `get` on a non-object, a missing key or
 * `at` out of range give the `Absent` value.
 */
export class Json {
  constructor(readonly kind: JsonKind) {}

  isAbsent(): bool {
    return this.kind == JsonKind.Absent;
  }

  isNull(): bool {
    return this.kind == JsonKind.Null;
  }

  isObject(): bool {
    return this.kind == JsonKind.Object;
  }

  isArray(): bool {
    return this.kind == JsonKind.Array;
  }

  /** Whether this is the unknown sentinel (a value known only after apply). */
  isUnknown(): bool {
    return this.kind == JsonKind.String && changetype<JsonString>(this).value == UNKNOWN;
  }

  /** The string, or `null` when this is not a string. */
  str(): string | null {
    return this.kind == JsonKind.String ? changetype<JsonString>(this).value : null;
  }

  /** The string, or `fallback` when this is not a string. */
  strOr(fallback: string): string {
    return this.kind == JsonKind.String ? changetype<JsonString>(this).value : fallback;
  }

  /** The boolean, or `fallback` when this is not a boolean. */
  boolOr(fallback: bool): bool {
    return this.kind == JsonKind.Bool ? changetype<JsonBool>(this).value : fallback;
  }

  /** The number, or `fallback` when this is not a number. */
  numOr(fallback: f64): f64 {
    return this.kind == JsonKind.Number ? changetype<JsonNumber>(this).value : fallback;
  }

  /** The member `key` of an object (the last one if given twice). */
  get(key: string): Json {
    if (this.kind != JsonKind.Object) return ABSENT;
    const o = changetype<JsonObject>(this);
    for (let i = o.keys.length - 1; i >= 0; i--) {
      if (o.keys[i] == key) return o.values[i];
    }
    return ABSENT;
  }

  /** Whether this is an object with a member `key`, whatever its value. */
  has(key: string): bool {
    return !this.get(key).isAbsent();
  }

  /** The number of items of an array or members of an object, else 0. */
  get length(): i32 {
    if (this.kind == JsonKind.Array) return changetype<JsonArray>(this).items.length;
    if (this.kind == JsonKind.Object) return changetype<JsonObject>(this).keys.length;
    return 0;
  }

  /** The item `index` of an array. */
  at(index: i32): Json {
    if (this.kind != JsonKind.Array) return ABSENT;
    const items = changetype<JsonArray>(this).items;
    return index >= 0 && index < items.length ? items[index] : ABSENT;
  }

  /** The strings of an array (other items skipped); none for anything else. */
  strings(): Array<string> {
    const out = new Array<string>();
    for (let i = 0; i < this.length; i++) {
      const s = this.at(i).str();
      if (s !== null) out.push(s);
    }
    return out;
  }
}

class JsonBool extends Json {
  constructor(readonly value: bool) {
    super(JsonKind.Bool);
  }
}

class JsonNumber extends Json {
  constructor(readonly value: f64) {
    super(JsonKind.Number);
  }
}

class JsonString extends Json {
  constructor(readonly value: string) {
    super(JsonKind.String);
  }
}

class JsonArray extends Json {
  items: Array<Json> = [];
  constructor() {
    super(JsonKind.Array);
  }
}

export class JsonObject extends Json {
  keys: Array<string> = [];
  values: Array<Json> = [];
  constructor() {
    super(JsonKind.Object);
  }
}

const ABSENT = new Json(JsonKind.Absent);
const NULL = new Json(JsonKind.Null);
const TRUE = new JsonBool(true);
const FALSE = new JsonBool(false);

// ---------------------------------------------------------------- JSON reader

// Deeper documents are refused rather than overflowing AssemblyScript's
// shadow stack (32 KiB, about 900 levels); the host's own JSON stops at 128.
const MAX_DEPTH = 256;

/** A recursive-descent parser of UTF-8 JSON text in linear memory. */
export class Parser {
  error: string = "";
  private start: usize;
  private end: usize;

  /** A parser of the `len` bytes at `pos`. */
  constructor(
    private pos: usize,
    len: usize,
  ) {
    this.start = pos;
    this.end = pos + len;
  }

  /** The whole text as one value, or `null` with `error` set. */
  document(): Json | null {
    const value = this.value(0);
    if (value !== null && this.peek() >= 0) return this.fail("trailing characters");
    return value;
  }

  private fail(message: string): Json | null {
    if (this.error.length == 0) {
      this.error = message + " at byte " + (this.pos - this.start).toString();
    }
    return null;
  }

  /** Skips white space; the next byte, or -1 at the end. */
  private peek(): i32 {
    while (this.pos < this.end) {
      const c = <i32>load<u8>(this.pos);
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) return c;
      this.pos++;
    }
    return -1;
  }

  private eat(c: i32): bool {
    if (this.peek() != c) return false;
    this.pos++;
    return true;
  }

  private value(depth: i32): Json | null {
    const c = this.peek();
    if (depth > MAX_DEPTH) return this.fail("nesting too deep");
    if (c == 0x7b) return this.object(depth + 1);
    if (c == 0x5b) return this.array(depth + 1);
    if (c == 0x22) {
      const s = this.string();
      return s === null ? null : new JsonString(s);
    }
    if (c == 0x74) return this.literal("true", TRUE);
    if (c == 0x66) return this.literal("false", FALSE);
    if (c == 0x6e) return this.literal("null", NULL);
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    return this.fail(c < 0 ? "unexpected end of input" : "unexpected character");
  }

  private literal(word: string, value: Json): Json | null {
    const n = <usize>word.length;
    if (this.end - this.pos < n) return this.fail("invalid literal");
    for (let i: usize = 0; i < n; i++) {
      if (<i32>load<u8>(this.pos + i) != word.charCodeAt(<i32>i)) {
        return this.fail("invalid literal");
      }
    }
    this.pos += n;
    return value;
  }

  private digits(): i32 {
    let n = 0;
    while (this.pos < this.end && isDigit(load<u8>(this.pos))) {
      this.pos++;
      n++;
    }
    return n;
  }

  private number(): Json | null {
    const from = this.pos;
    if (load<u8>(this.pos) == 0x2d) this.pos++;
    const intFrom = this.pos;
    const intDigits = this.digits();
    if (intDigits == 0 || (intDigits > 1 && load<u8>(intFrom) == 0x30)) {
      return this.fail("invalid number");
    }
    if (this.pos < this.end && load<u8>(this.pos) == 0x2e) {
      this.pos++;
      if (this.digits() == 0) return this.fail("invalid number");
    }
    if (this.pos < this.end && (load<u8>(this.pos) | 0x20) == 0x65) {
      this.pos++;
      const sign = this.pos < this.end ? load<u8>(this.pos) : 0;
      if (sign == 0x2b || sign == 0x2d) this.pos++;
      if (this.digits() == 0) return this.fail("invalid number");
    }
    return new JsonNumber(parseFloat(String.UTF8.decodeUnsafe(from, this.pos - from)));
  }

  /** A string after its opening quote; `null` with `error` set. */
  private string(): string | null {
    this.pos++;
    let run = this.pos;
    let parts: Array<string> | null = null;
    while (this.pos < this.end) {
      const c = load<u8>(this.pos);
      if (c == 0x22) {
        const last = String.UTF8.decodeUnsafe(run, this.pos - run);
        this.pos++;
        if (parts === null) return last;
        parts.push(last);
        return parts.join("");
      }
      if (c < 0x20) {
        this.fail("control character in string");
        return null;
      }
      if (c != 0x5c) {
        this.pos++;
        continue;
      }
      if (parts === null) parts = new Array<string>();
      parts.push(String.UTF8.decodeUnsafe(run, this.pos - run));
      this.pos++;
      const escaped = this.escape();
      if (escaped === null) return null;
      parts.push(escaped);
      run = this.pos;
    }
    this.fail("unterminated string");
    return null;
  }

  /** The character of an escape after its backslash. */
  private escape(): string | null {
    if (this.pos >= this.end) {
      this.fail("unterminated string");
      return null;
    }
    const c = load<u8>(this.pos++);
    if (c == 0x22 || c == 0x5c || c == 0x2f) return String.fromCharCode(c);
    if (c == 0x62) return "\b";
    if (c == 0x66) return "\f";
    if (c == 0x6e) return "\n";
    if (c == 0x72) return "\r";
    if (c == 0x74) return "\t";
    if (c != 0x75) {
      this.fail("invalid escape");
      return null;
    }
    const unit = this.hex4();
    if (unit < 0) return null;
    if (unit < 0xd800 || unit > 0xdfff) return String.fromCharCode(unit);
    // A surrogate: valid only as a high one followed by an escaped low one.
    if (
      unit <= 0xdbff &&
      this.end - this.pos >= 6 &&
      load<u8>(this.pos) == 0x5c &&
      load<u8>(this.pos + 1) == 0x75
    ) {
      const save = this.pos;
      this.pos += 2;
      const low = this.hex4();
      if (low < 0) return null;
      if (low >= 0xdc00 && low <= 0xdfff) return String.fromCharCode(unit, low);
      this.pos = save;
    }
    return "\uFFFD";
  }

  private hex4(): i32 {
    if (this.end - this.pos < 4) {
      this.fail("invalid \\u escape");
      return -1;
    }
    let unit = 0;
    for (let i = 0; i < 4; i++) {
      const c = <i32>load<u8>(this.pos++);
      let d = -1;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) d = (c | 0x20) - 0x61 + 10;
      if (d < 0) {
        this.fail("invalid \\u escape");
        return -1;
      }
      unit = (unit << 4) | d;
    }
    return unit;
  }

  private array(depth: i32): Json | null {
    this.pos++;
    const out = new JsonArray();
    if (this.eat(0x5d)) return out;
    do {
      const item = this.value(depth);
      if (item === null) return null;
      out.items.push(item);
    } while (this.eat(0x2c));
    return this.eat(0x5d) ? out : this.fail("expected ',' or ']'");
  }

  private object(depth: i32): Json | null {
    this.pos++;
    const out = new JsonObject();
    if (this.eat(0x7d)) return out;
    do {
      if (this.peek() != 0x22) return this.fail("expected a string key");
      const key = this.string();
      if (key === null) return null;
      if (!this.eat(0x3a)) return this.fail("expected ':'");
      const value = this.value(depth);
      if (value === null) return null;
      out.keys.push(key);
      out.values.push(value);
    } while (this.eat(0x2c));
    return this.eat(0x7d) ? out : this.fail("expected ',' or '}'");
  }
}

function isDigit(c: u8): bool {
  return c >= 0x30 && c <= 0x39;
}

/** Parses the JSON `text`; `null` when it is not valid JSON. */
export function parseJson(text: string): Json | null {
  const bytes = String.UTF8.encode(text);
  return new Parser(changetype<usize>(bytes), <usize>bytes.byteLength).document();
}

// ---------------------------------------------------------------- JSON writer

/** Writes UTF-8 JSON text into a growing buffer. */
export class JsonWriter {
  buffer: ArrayBuffer = new ArrayBuffer(1024);
  length: i32 = 0;

  /** Appends `text` as it is (it must be JSON already). */
  raw(text: string): JsonWriter {
    this.utf8(text, false);
    return this;
  }

  /** Appends `text` as a JSON string, quoted and escaped. */
  str(text: string): JsonWriter {
    this.byte(0x22);
    this.utf8(text, true);
    this.byte(0x22);
    return this;
  }

  /** Appends `true` or `false`. */
  bool(value: bool): JsonWriter {
    return this.raw(value ? "true" : "false");
  }

  /** Appends a JSON array of strings. */
  strs(items: Array<string>): JsonWriter {
    this.byte(0x5b);
    for (let i = 0; i < items.length; i++) {
      if (i > 0) this.byte(0x2c);
      this.str(items[i]);
    }
    this.byte(0x5d);
    return this;
  }

  private reserve(n: i32): void {
    const size = this.buffer.byteLength;
    if (this.length + n <= size) return;
    let grown = size * 2;
    while (grown < this.length + n) grown *= 2;
    const next = new ArrayBuffer(grown);
    memory.copy(changetype<usize>(next), changetype<usize>(this.buffer), <usize>this.length);
    this.buffer = next;
  }

  private byte(b: i32): void {
    this.reserve(1);
    store<u8>(changetype<usize>(this.buffer) + <usize>this.length, <u8>b);
    this.length++;
  }

  /** UTF-16 to UTF-8; a lone surrogate becomes U+FFFD. */
  private utf8(text: string, escape: bool): void {
    const n = text.length;
    for (let i = 0; i < n; i++) {
      let c = <i32>text.charCodeAt(i);
      if (c < 0x80) {
        if (escape && (c < 0x20 || c == 0x22 || c == 0x5c)) this.escaped(c);
        else this.byte(c);
      } else if (c < 0x800) {
        this.byte(0xc0 | (c >> 6));
        this.byte(0x80 | (c & 0x3f));
      } else if (c >= 0xd800 && c <= 0xdfff) {
        const low = i + 1 < n ? <i32>text.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && low >= 0xdc00 && low <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
          i++;
          this.byte(0xf0 | (c >> 18));
          this.byte(0x80 | ((c >> 12) & 0x3f));
          this.byte(0x80 | ((c >> 6) & 0x3f));
          this.byte(0x80 | (c & 0x3f));
        } else {
          this.byte(0xef);
          this.byte(0xbf);
          this.byte(0xbd);
        }
      } else {
        this.byte(0xe0 | (c >> 12));
        this.byte(0x80 | ((c >> 6) & 0x3f));
        this.byte(0x80 | (c & 0x3f));
      }
    }
  }

  private escaped(c: i32): void {
    this.byte(0x5c);
    if (c == 0x22 || c == 0x5c) this.byte(c);
    else if (c == 0x08) this.byte(0x62);
    else if (c == 0x0c) this.byte(0x66);
    else if (c == 0x0a) this.byte(0x6e);
    else if (c == 0x0d) this.byte(0x72);
    else if (c == 0x09) this.byte(0x74);
    else {
      this.raw("u00");
      this.byte(HEX.charCodeAt(c >> 4));
      this.byte(HEX.charCodeAt(c & 0xf));
    }
  }

  /** The text written so far. */
  toString(): string {
    return String.UTF8.decodeUnsafe(changetype<usize>(this.buffer), <usize>this.length);
  }
}

const HEX = "0123456789abcdef";
