// Helpers for command handlers: option parsing and number parsing with clear errors.
import { printError } from "../platform/console";

/** Parses a non-negative decimal or 0x-hex integer; returns -1 when `s` is not one. */
export function parseUnsigned(s: string): i64 {
  if (s.length == 0 || s.length > 18) return -1;
  let value: i64 = 0;
  if (s.startsWith("0x") || s.startsWith("0X")) {
    if (s.length == 2) return -1;
    for (let i = 2; i < s.length; i++) {
      const c = s.charCodeAt(i);
      let d = -1;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (c >= 97 && c <= 102) d = c - 87;
      else if (c >= 65 && c <= 70) d = c - 55;
      if (d < 0) return -1;
      value = value * 16 + d;
    }
    return value;
  }
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    value = value * 10 + (c - 48);
  }
  return value;
}

/** Parses a decimal number like "0.25" or "3"; returns NaN when `s` is not one. */
export function parseDecimal(s: string): f64 {
  if (s.length == 0 || s.length > 32) return NaN;
  let i = 0;
  let negative = false;
  if (s.charCodeAt(0) == 45) { negative = true; i = 1; }
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
  if (digits == 0 || i != s.length) return NaN;
  return negative ? -value : value;
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
      if (a.length > 1 && a.startsWith("-") && parseUnsigned(a.substring(1)) < 0) {
        if (valueOptions.includes(a)) {
          if (i + 1 >= args.length) {
            this.error = "option " + a + " needs a value";
            break; // (a bare `return;` in a constructor does not compile in AssemblyScript)
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
