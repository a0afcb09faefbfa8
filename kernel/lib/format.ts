// Number and text formatting for shell output. Pure functions, tested on Node.

const HEX_DIGITS = "0123456789abcdef";

/** Hex without prefix, at least `width` digits. */
export function hex(value: u64, width: i32 = 1): string {
  let s = "";
  let v = value;
  do {
    s = HEX_DIGITS.charAt(<i32>(v & 15)) + s;
    v >>= 4;
  } while (v != 0);
  while (s.length < width) s = "0" + s;
  return s;
}

export function hex0x(value: u64, width: i32 = 1): string {
  return "0x" + hex(value, width);
}

export function padLeft(s: string, width: i32, fill: string = " "): string {
  let out = s;
  while (out.length < width) out = fill + out;
  return out;
}

export function padRight(s: string, width: i32, fill: string = " "): string {
  let out = s;
  while (out.length < width) out = out + fill;
  return out;
}

/** Fixed-point decimal: fixed(3.14159, 2) == "3.14". Rounds half away from zero. */
export function fixed(value: f64, decimals: i32): string {
  if (isNaN(value)) return "nan";
  if (!isFinite(value)) return value > 0 ? "inf" : "-inf";
  const negative = value < 0;
  let scale: f64 = 1;
  for (let i = 0; i < decimals; i++) scale *= 10;
  const scaled = Math.floor(Math.abs(value) * scale + 0.5);
  if (scaled >= 9.0e18) return (negative ? "-" : "") + Math.abs(value).toString();
  const units = <u64>scaled;
  const whole = units / <u64>scale;
  let frac = (units % <u64>scale).toString();
  while (frac.length < decimals) frac = "0" + frac;
  const sign = negative && units != 0 ? "-" : "";
  return decimals > 0 ? sign + whole.toString() + "." + frac : sign + whole.toString();
}

/** Human-readable byte count: 512 B, 4.0 KiB, 1.5 MiB, 2.00 GiB. */
export function bytes(n: u64): string {
  if (n < 1024) return n.toString() + " B";
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = <f64>n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return fixed(value, value < 10 ? 2 : 1) + " " + units[unit];
}

/** Duration in microseconds as "1.234 s", "12.3 ms" or "45 us". */
export function duration(us: u64): string {
  if (us >= 1_000_000) return fixed(<f64>us / 1_000_000, 3) + " s";
  if (us >= 1000) return fixed(<f64>us / 1000, 1) + " ms";
  return us.toString() + " us";
}

/** Uptime as "1d 02:03:04" / "02:03:04". */
export function clock(seconds: u64): string {
  const days = seconds / 86400;
  const h = (seconds / 3600) % 24;
  const m = (seconds / 60) % 60;
  const s = seconds % 60;
  const hms = padLeft(h.toString(), 2, "0") + ":" + padLeft(m.toString(), 2, "0") + ":" + padLeft(s.toString(), 2, "0");
  return days > 0 ? days.toString() + "d " + hms : hms;
}

/** Table of rows with left-aligned columns, two spaces apart. */
export function table(rows: Array<Array<string>>): string {
  const widths = new Array<i32>(0);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    for (let c = 0; c < row.length; c++) {
      if (c >= widths.length) widths.push(0);
      if (row[c].length > widths[c]) widths[c] = row[c].length;
    }
  }
  let out = "";
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    let line = "";
    for (let c = 0; c < row.length; c++) {
      line += c == row.length - 1 ? row[c] : padRight(row[c], widths[c]) + "  ";
    }
    out += line + "\n";
  }
  return out;
}
