// A small JSON parser for file headers (safetensors). It treats its input as hostile: every
// read is bounds-checked, nesting is limited, numbers that do not fit are errors, and a
// failure returns null with `jsonError` set; it never traps.

export const JSON_NULL: i32 = 0;
export const JSON_BOOL: i32 = 1;
export const JSON_NUMBER: i32 = 2;
export const JSON_STRING: i32 = 3;
export const JSON_ARRAY: i32 = 4;
export const JSON_OBJECT: i32 = 5;

const MAX_DEPTH: i32 = 16;
/** Values per document: bounds the heap a hostile header can make us allocate. */
export const MAX_VALUES: i32 = 50000;

export class JsonValue {
  kind: i32 = JSON_NULL;
  /** Numbers: the value when it is an integer that fits in i64 (isInteger). */
  integer: i64 = 0;
  isInteger: bool = false;
  number: f64 = 0;
  text: string = "";
  items: Array<JsonValue> = [];
  keys: Array<string> = [];

  get(key: string): JsonValue | null {
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] == key) return this.items[i];
    return null;
  }
}

export let jsonError: string = "";
/** Byte offset of the last failure (-1 = none), for callers that report line:column. */
export let jsonErrorAt: i32 = -1;

class Parser {
  pos: i32 = 0;
  values: i32 = 0;
  constructor(public p: usize, public n: i32) {}

  peek(): i32 { return this.pos < this.n ? <i32>load<u8>(this.p + <usize>this.pos) : -1; }
  skipSpace(): void {
    while (this.pos < this.n) {
      const c = load<u8>(this.p + <usize>this.pos);
      if (c != 32 && c != 9 && c != 10 && c != 13) break;
      this.pos++;
    }
  }
  fail(what: string): JsonValue | null {
    if (jsonError.length == 0) { jsonError = what + " at byte " + this.pos.toString(); jsonErrorAt = this.pos; }
    return null;
  }

  value(depth: i32): JsonValue | null {
    if (depth > MAX_DEPTH) return this.fail("nesting too deep");
    if (++this.values > MAX_VALUES) return this.fail("too many values");
    this.skipSpace();
    const c = this.peek();
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) {
      const s = this.string();
      if (s == null) return null;
      const v = new JsonValue(); v.kind = JSON_STRING; v.text = s; return v;
    }
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.numberValue();
    if (this.word("true")) { const v = new JsonValue(); v.kind = JSON_BOOL; v.integer = 1; return v; }
    if (this.word("false")) { const v = new JsonValue(); v.kind = JSON_BOOL; return v; }
    if (this.word("null")) return new JsonValue();
    return this.fail(c < 0 ? "unexpected end" : "unexpected character");
  }

  word(w: string): bool {
    if (this.pos + w.length > this.n) return false;
    for (let i = 0; i < w.length; i++) if (<i32>load<u8>(this.p + <usize>(this.pos + i)) != w.charCodeAt(i)) return false;
    this.pos += w.length;
    return true;
  }

  object(depth: i32): JsonValue | null {
    const v = new JsonValue(); v.kind = JSON_OBJECT;
    this.pos++;
    this.skipSpace();
    if (this.peek() == 0x7d) { this.pos++; return v; }
    while (true) {
      this.skipSpace();
      if (this.peek() != 0x22) return this.fail("expected a key");
      const k = this.string();
      if (k == null) return null;
      this.skipSpace();
      if (this.peek() != 0x3a) return this.fail("expected ':'");
      this.pos++;
      const item = this.value(depth + 1);
      if (item == null) return null;
      for (let i = 0; i < v.keys.length; i++) if (v.keys[i] == k) return this.fail("duplicate key");
      v.keys.push(k); v.items.push(item);
      this.skipSpace();
      const c = this.peek();
      if (c == 0x2c) { this.pos++; continue; }
      if (c == 0x7d) { this.pos++; return v; }
      return this.fail("expected ',' or '}'");
    }
  }

  array(depth: i32): JsonValue | null {
    const v = new JsonValue(); v.kind = JSON_ARRAY;
    this.pos++;
    this.skipSpace();
    if (this.peek() == 0x5d) { this.pos++; return v; }
    while (true) {
      const item = this.value(depth + 1);
      if (item == null) return null;
      v.items.push(item);
      this.skipSpace();
      const c = this.peek();
      if (c == 0x2c) { this.pos++; continue; }
      if (c == 0x5d) { this.pos++; return v; }
      return this.fail("expected ',' or ']'");
    }
  }

  /** A string; \uXXXX escapes outside ASCII are kept as their UTF-16 unit. */
  string(): string | null {
    this.pos++;
    const start = this.pos;
    let plain = true;
    while (true) {
      const c = this.peek();
      if (c < 0) { this.fail("unterminated string"); return null; }
      if (c < 0x20) { this.fail("control character in string"); return null; }
      if (c == 0x22) break;
      if (c == 0x5c) { plain = false; this.pos += 2; continue; }
      this.pos++;
    }
    const end = this.pos;
    this.pos++;
    if (plain) return String.UTF8.decodeUnsafe(this.p + <usize>start, <usize>(end - start));
    let out = "";
    let i = start;
    while (i < end) {
      const c = <i32>load<u8>(this.p + <usize>i);
      if (c != 0x5c) {
        let j = i;
        while (j < end && load<u8>(this.p + <usize>j) != 0x5c) j++;
        out += String.UTF8.decodeUnsafe(this.p + <usize>i, <usize>(j - i));
        i = j;
        continue;
      }
      if (i + 1 >= end) { this.fail("bad escape"); return null; }
      const e = <i32>load<u8>(this.p + <usize>(i + 1));
      i += 2;
      if (e == 0x22) out += "\""; else if (e == 0x5c) out += "\\"; else if (e == 0x2f) out += "/";
      else if (e == 0x62) out += "\b"; else if (e == 0x66) out += "\f"; else if (e == 0x6e) out += "\n";
      else if (e == 0x72) out += "\r"; else if (e == 0x74) out += "\t";
      else if (e == 0x75) {
        if (i + 4 > end) { this.fail("bad \\u escape"); return null; }
        let u = 0;
        for (let k = 0; k < 4; k++) {
          const h = <i32>load<u8>(this.p + <usize>(i + k));
          const d = h >= 0x30 && h <= 0x39 ? h - 0x30 : (h | 0x20) >= 0x61 && (h | 0x20) <= 0x66 ? (h | 0x20) - 0x57 : -1;
          if (d < 0) { this.fail("bad \\u escape"); return null; }
          u = u * 16 + d;
        }
        i += 4;
        out += String.fromCharCode(u);
      } else { this.fail("bad escape"); return null; }
    }
    return out;
  }

  numberValue(): JsonValue | null {
    const v = new JsonValue(); v.kind = JSON_NUMBER;
    const start = this.pos;
    let negative = false;
    if (this.peek() == 0x2d) { negative = true; this.pos++; }
    let digits = 0;
    let value: i64 = 0;
    let overflow = false;
    while (this.peek() >= 0x30 && this.peek() <= 0x39) {
      const d = <i64>(this.peek() - 0x30);
      if (value > (i64.MAX_VALUE - d) / 10) overflow = true; else value = value * 10 + d;
      digits++; this.pos++;
    }
    if (digits == 0) return this.fail("bad number");
    let isInt = !overflow;
    if (this.peek() == 0x2e) {
      isInt = false; this.pos++;
      let frac = 0;
      while (this.peek() >= 0x30 && this.peek() <= 0x39) { this.pos++; frac++; }
      if (frac == 0) return this.fail("bad number");
    }
    if (this.peek() == 0x65 || this.peek() == 0x45) {
      isInt = false; this.pos++;
      if (this.peek() == 0x2b || this.peek() == 0x2d) this.pos++;
      let ed = 0;
      while (this.peek() >= 0x30 && this.peek() <= 0x39) { this.pos++; ed++; }
      if (ed == 0) return this.fail("bad number");
    }
    v.isInteger = isInt;
    v.integer = negative ? -value : value;
    v.number = isInt ? <f64>v.integer : parseFloat(String.UTF8.decodeUnsafe(this.p + <usize>start, <usize>(this.pos - start)));
    return v;
  }
}

/** Parses n bytes at p as one JSON value (trailing spaces allowed); null + jsonError on failure. */
export function parseJson(p: usize, n: i32): JsonValue | null {
  jsonError = "";
  jsonErrorAt = -1;
  const parser = new Parser(p, n);
  const v = parser.value(0);
  if (v == null) return null;
  parser.skipSpace();
  if (parser.pos != n) { jsonError = "trailing bytes at byte " + parser.pos.toString(); jsonErrorAt = parser.pos; return null; }
  return v;
}
