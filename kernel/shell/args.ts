// Helpers for command handlers: option parsing and number parsing with clear errors.
import { printError } from "../platform/console";

// ---------------------------------------------------------------- numbers
// One parser for every command: decimal or 0x-hex integers up to 2^64-1, optional size suffixes
// (K M G T = KiB MiB GiB TiB = 1024^n; KB MB GB TB = 1000^n), decimals with an exponent.

let lastParseOk: bool = false;

/** Did the last parseU64() see a number (and no overflow)? */
export function parsedOk(): bool {
  return lastParseOk;
}

function suffixMultiplier(suffix: string): u64 {
  if (suffix.length == 0) return 1;
  const u = suffix.toUpperCase();
  const units = "KMGT";
  for (let i = 0; i < 4; i++) {
    const c = units.charAt(i);
    let binary: u64 = <u64>1 << (<u64>(i + 1) * 10);
    let decimal: u64 = 1;
    for (let j = 0; j <= i; j++) decimal *= 1000;
    if (u == c || u == c + "IB") return binary;
    if (u == c + "B") return decimal;
  }
  return 0;
}

/**
 * Parses an unsigned integer (decimal or 0x hex, up to 2^64-1); with `sizes`, a size suffix
 * may follow ("8M", "4KiB", "1GB"). Returns the value; parsedOk() says whether it was one.
 */
export function parseU64(s: string, sizes: bool = false): u64 {
  lastParseOk = false;
  if (s.length == 0 || s.length > 40) return 0;
  let value: u64 = 0;
  let i = 0;
  let digits = 0;
  if (s.startsWith("0x") || s.startsWith("0X")) {
    i = 2;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      let d = -1;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (c >= 97 && c <= 102) d = c - 87;
      else if (c >= 65 && c <= 70) d = c - 55;
      if (d < 0) break;
      if (value > (<u64>0xffffffffffffffff >> 4)) return 0; // overflow
      value = (value << 4) | <u64>d;
      digits++;
    }
  } else {
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      const d = <u64>(c - 48);
      if (value > (<u64>0xffffffffffffffff - d) / 10) return 0; // overflow
      value = value * 10 + d;
      digits++;
    }
  }
  if (digits == 0) return 0;
  if (i < s.length) {
    if (!sizes) return 0;
    const m = suffixMultiplier(s.substring(i));
    if (m == 0) return 0;
    if (value != 0 && m > <u64>0xffffffffffffffff / value) return 0;
    value *= m;
  }
  lastParseOk = true;
  return value;
}

/** Parses a non-negative decimal or 0x-hex integer up to 2^63-1; returns -1 when `s` is not one. */
export function parseUnsigned(s: string): i64 {
  const v = parseU64(s, false);
  return lastParseOk && v <= <u64>i64.MAX_VALUE ? <i64>v : -1;
}

/** parseUnsigned with a size suffix allowed ("8M", "512K", "1GiB"); -1 when not one. */
export function parseSize(s: string): i64 {
  const v = parseU64(s, true);
  return lastParseOk && v <= <u64>i64.MAX_VALUE ? <i64>v : -1;
}

/** Parses a decimal number like "0.25", "-3", "1e-3" or "2.5E6"; returns NaN when `s` is not one. */
export function parseDecimal(s: string): f64 {
  if (s.length == 0 || s.length > 32) return NaN;
  let i = 0;
  let negative = false;
  if (s.charCodeAt(0) == 45 || s.charCodeAt(0) == 43) { negative = s.charCodeAt(0) == 45; i = 1; }
  let value: f64 = 0;
  let digits = 0;
  while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) {
    value = value * 10 + <f64>(s.charCodeAt(i) - 48);
    i++;
    digits++;
  }
  if (i < s.length && s.charCodeAt(i) == 46) {
    i++;
    let scale: f64 = 0.1;
    while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) {
      value += <f64>(s.charCodeAt(i) - 48) * scale;
      scale /= 10;
      i++;
      digits++;
    }
  }
  if (digits == 0) return NaN;
  if (i < s.length && (s.charCodeAt(i) == 101 || s.charCodeAt(i) == 69)) {
    i++;
    let expNegative = false;
    if (i < s.length && (s.charCodeAt(i) == 45 || s.charCodeAt(i) == 43)) { expNegative = s.charCodeAt(i) == 45; i++; }
    let exp = 0;
    let expDigits = 0;
    while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57 && exp < 400) {
      exp = exp * 10 + (s.charCodeAt(i) - 48);
      i++;
      expDigits++;
    }
    if (expDigits == 0) return NaN;
    value *= Math.pow(10, expNegative ? -<f64>exp : <f64>exp);
  }
  if (i != s.length) return NaN;
  return negative ? -value : value;
}

/** A negative number ("-0.5", "-3") is an argument, not an option. */
function isNegativeNumber(a: string): bool {
  return a.length > 1 && a.charCodeAt(0) == 45 && !isNaN(parseDecimal(a));
}

/**
 * Options of the form --name VALUE and flags of the form -x / --flag, then positionals.
 * Unknown options are errors (reported once, by name).
 */
export class Options {
  positionals: Array<string> = new Array<string>(0);
  error: string = "";
  private values: Map<string, string> = new Map<string, string>();
  private flags: Set<string> = new Set<string>();

  /** valueOptions: names that take a value ("--seed"); flagOptions: names that do not ("-l"). */
  constructor(args: Array<string>, valueOptions: Array<string>, flagOptions: Array<string>) {
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a.length > 1 && a.startsWith("-") && !isNegativeNumber(a)) {
        if (valueOptions.includes(a)) {
          if (i + 1 >= args.length) {
            this.error = "option " + a + " needs a value";
            break; // (a constructor cannot `return;` in AssemblyScript)
          }
          this.values.set(a, args[++i]);
        } else if (flagOptions.includes(a)) {
          this.flags.add(a);
        } else if (!a.startsWith("--") && a.length > 2 && allFlags(a, flagOptions)) {
          for (let j = 1; j < a.length; j++) this.flags.add("-" + a.charAt(j));
        } else {
          this.error = "unknown option " + a;
          break;
        }
      } else {
        this.positionals.push(a);
      }
    }
  }

  get ok(): bool {
    return this.error.length == 0;
  }

  has(flag: string): bool {
    return this.flags.has(flag);
  }

  value(name: string, fallback: string = ""): string {
    return this.values.has(name) ? this.values.get(name) : fallback;
  }

  hasValue(name: string): bool {
    return this.values.has(name);
  }

  /** Integer option within [lo, hi]; prints an error and returns -1 when invalid. */
  integer(name: string, fallback: i64, lo: i64, hi: i64): i64 {
    if (!this.values.has(name)) return fallback;
    const v = parseUnsigned(this.values.get(name));
    if (v < lo || v > hi) {
      printError(name + " must be an integer from " + lo.toString() + " to " + hi.toString());
      return -1;
    }
    return v;
  }
}

function allFlags(a: string, flagOptions: Array<string>): bool {
  for (let j = 1; j < a.length; j++) if (!flagOptions.includes("-" + a.charAt(j))) return false;
  return true;
}

/** True when `args` is empty; else prints "error: COMMAND takes no arguments" and returns false. */
export function noArgs(command: string, args: Array<string>): bool {
  if (args.length == 0) return true;
  printError(command + " takes no arguments");
  return false;
}
