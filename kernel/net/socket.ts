// The socket-like interface kernel services use (the HTTP server, httpget): a listening
// socket that hands out connected sockets, and connected sockets with non-blocking read,
// write and close. Everything is polled from the event loop; nothing here blocks.
import { NetStack } from "./stack";
import { TcpConn, TcpListener, stateName } from "./tcp";

export class Socket {
  constructor(public conn: TcpConn) {}

  /** Bytes waiting to be read. */
  get readable(): i32 {
    return this.conn.readable;
  }

  /** The peer finished sending and everything was read (or the connection is gone). */
  get eof(): bool {
    return this.conn.eof;
  }

  get connected(): bool {
    return this.conn.connected;
  }

  get closed(): bool {
    return this.conn.closed;
  }

  /** Room for write(). */
  get writable(): i32 {
    return this.conn.writable;
  }

  /** Written bytes the peer has not acknowledged yet. */
  get unacknowledged(): i32 {
    return this.conn.unacknowledged;
  }

  get error(): string {
    return this.conn.error;
  }

  get state(): string {
    return stateName(this.conn.state);
  }

  get remoteAddress(): u32 {
    return this.conn.remoteIp;
  }

  get remotePort(): u32 {
    return this.conn.remotePort;
  }

  /** Reads up to `len` bytes into dst[off..]; returns how many (0: nothing yet, see eof). */
  read(dst: Uint8Array, off: i32, len: i32): i32 {
    return this.conn.read(dst, off, len);
  }

  /** Queues bytes; returns how many were taken, -1 when the socket cannot send any more. */
  write(src: Uint8Array, off: i32, len: i32): i32 {
    return this.conn.write(src, off, len);
  }

  close(): void {
    this.conn.close();
  }

  abort(): void {
    this.conn.abort();
  }
}

export class ListenSocket {
  constructor(public listener: TcpListener) {}

  get port(): u32 {
    return this.listener.port;
  }

  accept(): Socket | null {
    const c = this.listener.accept();
    return c == null ? null : new Socket(c);
  }

  close(): void {
    this.listener.close();
  }
}

export function listenTcp(stack: NetStack, port: u32, backlog: i32): ListenSocket | null {
  const l = stack.tcp.listen(port, backlog);
  return l == null ? null : new ListenSocket(l);
}

export function connectTcp(stack: NetStack, address: u32, port: u32): Socket | null {
  const c = stack.tcp.connect(address, port);
  return c == null ? null : new Socket(c);
}
