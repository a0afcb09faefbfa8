// A byte ring of fixed power-of-two capacity: a TCP connection's send buffer (bytes from
// SND.UNA on: sent-but-unacknowledged, then not yet sent) and its receive buffer (in-order
// bytes the application has not read).
export class ByteRing {
  private data: Uint8Array;
  private head: i32 = 0; // index of the first byte
  length: i32 = 0;

  constructor(public capacity: i32) {
    this.data = new Uint8Array(capacity);
  }

  get free(): i32 {
    return this.capacity - this.length;
  }

  /** Appends up to `len` bytes from src[off..]; returns how many fit. */
  push(src: Uint8Array, off: i32, len: i32): i32 {
    const n = min(len, this.free);
    const mask = this.capacity - 1;
    let tail = (this.head + this.length) & mask;
    const first = min(n, this.capacity - tail);
    memory.copy(this.data.dataStart + <usize>tail, src.dataStart + <usize>off, <usize>first);
    if (n > first) memory.copy(this.data.dataStart, src.dataStart + <usize>(off + first), <usize>(n - first));
    this.length += n;
    return n;
  }

  /** Copies `len` bytes starting `from` bytes after the head into dst[off..] (no removal). */
  peek(from: i32, dst: Uint8Array, off: i32, len: i32): void {
    const mask = this.capacity - 1;
    const start = (this.head + from) & mask;
    const first = min(len, this.capacity - start);
    memory.copy(dst.dataStart + <usize>off, this.data.dataStart + <usize>start, <usize>first);
    if (len > first) memory.copy(dst.dataStart + <usize>(off + first), this.data.dataStart, <usize>(len - first));
  }

  drop(n: i32): void {
    const k = min(n, this.length);
    this.head = (this.head + k) & (this.capacity - 1);
    this.length -= k;
    if (this.length == 0) this.head = 0;
  }

  /** Removes up to dst.length - off bytes into dst[off..]; returns how many. */
  read(dst: Uint8Array, off: i32, len: i32): i32 {
    const n = min(len, this.length);
    this.peek(0, dst, off, n);
    this.drop(n);
    return n;
  }
}
