// Lenient UTF-8 decoding for bytes that come from outside (serial input, disk names):
// every invalid or truncated sequence becomes U+FFFD, never an exception.

export function decodeUtf8(bytes: Array<u8>, start: i32 = 0, end: i32 = -1): string {
  const stop = end < 0 ? bytes.length : end;
  let out = "";
  let i = start;
  while (i < stop) {
    const b0 = <u32>bytes[i];
    if (b0 < 0x80) {
      out += String.fromCharCode(b0);
      i++;
      continue;
    }
    let need = 0;
    let cp: u32 = 0;
    let min: u32 = 0;
    if ((b0 & 0xe0) == 0xc0) { need = 1; cp = b0 & 0x1f; min = 0x80; }
    else if ((b0 & 0xf0) == 0xe0) { need = 2; cp = b0 & 0x0f; min = 0x800; }
    else if ((b0 & 0xf8) == 0xf0) { need = 3; cp = b0 & 0x07; min = 0x10000; }
    else { out += "\uFFFD"; i++; continue; }
    let ok = i + need < stop; // all continuation bytes present
    let j = 1;
    while (ok && j <= need) {
      const b = <u32>bytes[i + j];
      if ((b & 0xc0) != 0x80) { ok = false; break; }
      cp = (cp << 6) | (b & 0x3f);
      j++;
    }
    if (!ok || cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) {
      out += "\uFFFD";
      i++;
      continue;
    }
    out += String.fromCodePoint(<i32>cp);
    i += need + 1;
  }
  return out;
}
