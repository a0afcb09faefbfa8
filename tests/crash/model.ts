// The host's copy of the `fsctl stress` workloads (kernel/fs/stress.ts): the same seeded
// generator and the same operations, in the same order, so the crash checker knows every byte
// the workload ever wrote, every path it ever used, and the state of the tree after each
// operation. The kernel's output is compared line for line with the lines predicted here
// (checkAgainstOutput), so the two cannot drift apart unnoticed.
//
//   ops[]      one entry per change of the tree: mkdir, create, append (one write call),
//              truncate, rename, unlink, rmdir, and "synced" (an fsync/sync returned; the
//              promise lines printed after it follow it in `lines`)
//   streams    file contents: a stream is the bytes one file received since it was created or
//              emptied; a file's content is always (stream, length), a prefix of its stream
//
// Paths are relative to the mounted file system ("/stress/..."); the kernel prints them with
// the mount point in front ("/mnt/stress/..."), `mountPoint` says what to strip.
import { createHash } from "node:crypto";
import { Rng } from "./rng.ts";

export const SCENARIOS = [
  "write_during_allocation", "write_during_inode_create", "write_during_journal_commit", "write_during_data_write",
  "concurrent_writes", "directory_operations", "truncate_operations",
] as const;
export type Scenario = (typeof SCENARIOS)[number];

const CHUNK = 64 << 10;
const EMPTY_SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

export type Op =
  | { kind: "mkdir"; path: string }
  | { kind: "create"; path: string }
  | { kind: "append"; path: string; bytes: number }
  | { kind: "truncate"; path: string; size: number }
  | { kind: "rename"; from: string; to: string }
  | { kind: "unlink"; path: string }
  | { kind: "rmdir"; path: string }
  | { kind: "synced"; sync: number };

/** One entry of the tree: a directory, or a file holding the first `len` bytes of a stream. */
export type Entry = { type: "d" } | { type: "f"; node: number; stream: number; len: number };

export class Stream {
  /** Running hash of the bytes so far (gives the SHA-256 of every append boundary for free). */
  readonly running = createHash("sha256");
  private chunks: Buffer[] = [];
  private joined: Buffer | null = null;
  length = 0;
  constructor(readonly id: number) {}
  append(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
    this.joined = null;
  }
  get bytes(): Buffer {
    if (!this.joined) this.joined = Buffer.concat(this.chunks, this.length);
    return this.joined;
  }
}

/** The generator of kernel/fs/stress.ts (xorshift32, same seeding), with its fill(). */
class WorkloadRng extends Rng {
  /** fill(length) of stress.ts: little-endian u32 words, the last one cut. */
  fill(length: number): Buffer {
    const words = Math.ceil(length / 4);
    const b = Buffer.alloc(words * 4);
    for (let i = 0; i < words; i++) b.writeUInt32LE(this.next(), i * 4);
    return b.subarray(0, length);
  }
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

export interface ModelOptions {
  scenario: Scenario;
  seed?: number;
  /** --count (0 = the scenario's default). */
  count?: number;
  /** --dir as given to the kernel (default /stress). */
  dir?: string;
  /** The mount point in front of `dir` ("" when the file system is the root). */
  mountPoint?: string;
}

export class WorkloadModel {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly count: number;
  readonly dir: string;
  readonly mountPoint: string;
  readonly ops: Op[] = [];
  /** The lines the kernel prints, in order (begin, synced, durable/prefix/absent, end). */
  readonly lines: string[] = [];
  /** ops index of each "synced" op, by sync number (1-based: syncs[0] is unused). */
  readonly syncOps: number[] = [-1];
  readonly streams: Stream[] = [];
  /** Every stream that was ever at a path, with the longest length it reached there. */
  readonly everAt = new Map<string, Map<number, number>>();
  readonly everDir = new Set<string>();
  private tree = new Map<string, Entry>();
  private nextNode = 1;
  private rng: WorkloadRng;
  private shaCache = new Map<string, string>();

  constructor(o: ModelOptions) {
    this.scenario = o.scenario;
    this.seed = o.seed ?? 1;
    this.count = o.count ?? 0;
    this.mountPoint = o.mountPoint ?? "";
    const dir = o.dir ?? "/stress";
    if (this.mountPoint && !dir.startsWith(this.mountPoint + "/")) throw new Error(`${dir} is not under ${this.mountPoint}`);
    this.dir = dir.slice(this.mountPoint.length);
    this.rng = new WorkloadRng(this.seed);
    this.generate();
  }

  /** The command that runs this workload in SIS. */
  get command(): string {
    return `fsctl stress ${this.scenario} --seed ${this.seed}${this.count ? ` --count ${this.count}` : ""} --dir ${this.mountPoint}${this.dir}`;
  }

  /** Printed path (with the mount point) of a model path. */
  printed(p: string): string {
    return this.mountPoint + p;
  }

  /** The fs path of a printed path. */
  fsPath(printed: string): string {
    return this.mountPoint && printed.startsWith(this.mountPoint + "/") ? printed.slice(this.mountPoint.length) : printed;
  }

  get syncCount(): number {
    return this.syncOps.length - 1;
  }

  // ------------------------------------------------------------ applying operations

  private note(p: string, e: Entry): void {
    if (e.type === "d") {
      this.everDir.add(p);
      return;
    }
    let m = this.everAt.get(p);
    if (!m) this.everAt.set(p, (m = new Map()));
    m.set(e.stream, Math.max(m.get(e.stream) ?? 0, e.len));
  }

  private newStream(): number {
    const s = new Stream(this.streams.length);
    this.streams.push(s);
    this.shaCache.set(`${s.id}:0`, EMPTY_SHA);
    return s.id;
  }

  private push(op: Op): void {
    this.ops.push(op);
    applyOp(this.tree, op, this.streams, () => this.nextNode++, () => this.newStream(), (p, e) => this.note(p, e), (bytes) => bytes);
  }

  private mkdir(p: string): void {
    this.push({ kind: "mkdir", path: p });
  }

  /** open(O_CREAT [| O_TRUNC]): creates, or empties an existing non-empty file when asked. */
  private open(p: string, truncate: boolean): void {
    const e = this.tree.get(p);
    if (!e) this.push({ kind: "create", path: p });
    else if (truncate && e.type === "f" && e.len > 0) this.push({ kind: "truncate", path: p, size: 0 });
  }

  private append(p: string, data: Buffer): void {
    const e = this.tree.get(p);
    if (!e || e.type !== "f") throw new Error(`model: append to ${p}`);
    const s = this.streams[e.stream];
    if (e.len !== s.length) throw new Error(`model: append after a truncate (${p})`);
    s.append(Buffer.from(data));
    s.running.update(data);
    this.shaCache.set(`${s.id}:${s.length}`, s.running.copy().digest("hex"));
    this.push({ kind: "append", path: p, bytes: data.length });
  }

  private synced(): void {
    this.syncOps.push(this.ops.length);
    this.push({ kind: "synced", sync: this.syncOps.length - 1 });
    this.lines.push(`stress synced`);
  }

  private durable(p: string, size: number, digest: string): void {
    this.lines.push(`stress durable ${this.printed(p)} ${size} ${digest}`);
  }

  /** writeFile() of stress.ts: O_TRUNC, CHUNK-sized writes, optional fsync + "durable". */
  private writeFile(p: string, size: number, fsyncIt: boolean): string {
    this.open(p, true);
    const h = createHash("sha256");
    for (let done = 0; done < size;) {
      const n = Math.min(CHUNK, size - done);
      const b = this.rng.fill(n);
      h.update(b);
      this.append(p, b);
      done += n;
    }
    const digest = h.digest("hex");
    if (fsyncIt) {
      this.synced();
      this.durable(p, size, digest);
    }
    return digest;
  }

  // ------------------------------------------------------------ the seven workloads

  private generate(): void {
    const base = `${this.dir}/${this.scenario}-${this.seed}`;
    if (!this.tree.has(this.dir)) this.mkdir(this.dir);
    this.mkdir(base);
    this.lines.push(`stress begin ${this.scenario} seed=${this.seed}`);
    const c = this.count;
    let ops = 0;
    switch (this.scenario) {
      case "write_during_allocation": {
        const count = c || 200;
        let pending: [string, number, string][] = [];
        for (let i = 0; i < count; i++) {
          const p = `${base}/small-${i}`;
          const size = 512 + this.rng.below(8192);
          const b = this.rng.fill(size);
          this.open(p, true);
          this.append(p, b);
          ops++;
          pending.push([p, size, sha(b)]);
          if (pending.length === 10 || i === count - 1) {
            this.synced();
            for (const [q, s, d] of pending) this.durable(q, s, d);
            pending = [];
          }
        }
        break;
      }
      case "write_during_inode_create": {
        const count = c || 300;
        let made: string[] = [];
        for (let i = 0; i < count; i++) {
          const d = `${base}/d${Math.trunc(i / 10)}`;
          if (i % 10 === 0) this.mkdir(d);
          const p = `${d}/empty-${i}`;
          this.push({ kind: "create", path: p });
          ops++;
          made.push(p);
          if (made.length === 20 || i === count - 1) {
            this.synced();
            for (const q of made) this.durable(q, 0, EMPTY_SHA);
            made = [];
          }
        }
        break;
      }
      case "write_during_journal_commit": {
        const count = c || 4;
        for (let i = 0; i < count; i++) {
          this.writeFile(`${base}/big-${i}`, 1 << 20, true);
          ops++;
        }
        break;
      }
      case "write_during_data_write":
      case "concurrent_writes": {
        const files = this.scenario === "concurrent_writes" ? 4 : 1;
        const rounds = c || (files === 1 ? 64 : 16);
        const hashes = Array.from({ length: files }, () => createHash("sha256"));
        const sizes = new Array<number>(files).fill(0);
        for (let r = 0; r < rounds; r++) {
          for (let f = 0; f < files; f++) {
            const p = `${base}/stream-${f}`;
            this.open(p, false);
            const n = files === 1 ? CHUNK : 4096 + this.rng.below(CHUNK - 4096);
            const b = this.rng.fill(n);
            this.append(p, b);
            hashes[f].update(b);
            sizes[f] += n;
            ops++;
            this.synced();
            this.lines.push(`stress prefix ${this.printed(p)} ${sizes[f]} ${hashes[f].copy().digest("hex")}`);
          }
        }
        break;
      }
      case "directory_operations": {
        const count = c || 20;
        for (let round = 0; round < count; round++) {
          const top = `${base}/tree-${round}`;
          this.mkdir(top);
          const sizes: number[] = [];
          const digests: string[] = [];
          for (let i = 0; i < 4; i++) {
            const sub = `${top}/sub-${i}`;
            this.mkdir(sub);
            sizes.push(100 + this.rng.below(3000));
            digests.push(this.writeFile(`${sub}/file`, sizes[i], false));
            ops++;
          }
          this.push({ kind: "rename", from: `${top}/sub-0`, to: `${top}/renamed-0` });
          this.push({ kind: "unlink", path: `${top}/sub-1/file` });
          this.push({ kind: "rmdir", path: `${top}/sub-1` });
          this.push({ kind: "rename", from: `${top}/sub-2/file`, to: `${top}/sub-3/moved` });
          if (round > 0) this.push({ kind: "rename", from: `${base}/tree-${round - 1}`, to: `${top}/previous` });
          this.synced();
          ops++;
          this.durable(`${top}/renamed-0/file`, sizes[0], digests[0]);
          this.durable(`${top}/sub-3/moved`, sizes[2], digests[2]);
          this.durable(`${top}/sub-3/file`, sizes[3], digests[3]);
          for (const gone of ["sub-1", "sub-0", "sub-2/file"]) this.lines.push(`stress absent ${this.printed(`${top}/${gone}`)}`);
        }
        break;
      }
      case "truncate_operations": {
        const count = c || 40;
        for (let i = 0; i < count; i++) {
          const p = `${base}/trunc-${i % 4}`;
          const size = 4096 + this.rng.below(256 << 10);
          this.writeFile(p, size, true);
          ops++;
          const cut = this.rng.below(size);
          this.push({ kind: "truncate", path: p, size: cut });
          const e = this.tree.get(p) as Extract<Entry, { type: "f" }>;
          const digest = sha(this.streams[e.stream].bytes.subarray(0, cut));
          this.synced();
          ops++;
          this.durable(p, cut, digest);
        }
        break;
      }
    }
    this.lines.push(`stress end ${this.scenario} ops=${ops}`);
  }

  // ------------------------------------------------------------ comparing with the kernel

  /**
   * Compares the stress lines the kernel printed with the predicted ones: every printed line
   * must be the predicted line at its position ("synced" lines compare without their counter).
   * Returns "" or what differs. With `complete`, the output must hold every line.
   */
  checkAgainstOutput(printed: string[], complete: boolean): string {
    for (let i = 0; i < printed.length; i++) {
      const want = this.lines[i];
      const got = printed[i].startsWith("stress synced ") ? "stress synced" : printed[i];
      if (want !== got) return `line ${i + 1} of the workload's output is '${printed[i]}', the model predicts '${want ?? "(nothing)"}'`;
    }
    if (complete && printed.length !== this.lines.length) return `the workload printed ${printed.length} lines, the model predicts ${this.lines.length}`;
    return "";
  }

  /** A fresh tree walker starting before the first operation. */
  replayer(): TreeReplayer {
    return new TreeReplayer(this);
  }

  /** SHA-256 of the first `len` bytes of a stream (memoised). */
  shaOf(stream: number, len: number): string {
    const key = `${stream}:${len}`;
    let h = this.shaCache.get(key);
    if (h === undefined) {
      h = sha(this.streams[stream].bytes.subarray(0, len));
      this.shaCache.set(key, h);
    }
    return h;
  }
}

/** Applies one operation to a tree; `touched` gets every path whose entry changed. */
function applyOp(tree: Map<string, Entry>, op: Op, streams: Stream[], newNode: () => number, newStream: () => number,
  note: (p: string, e: Entry) => void, appended: (bytes: number) => number, touched?: Set<string>): void {
  const set = (p: string, e: Entry | undefined) => {
    if (e) {
      tree.set(p, e);
      note(p, e);
    } else tree.delete(p);
    touched?.add(p);
  };
  switch (op.kind) {
    case "mkdir":
      set(op.path, { type: "d" });
      break;
    case "create":
      set(op.path, { type: "f", node: newNode(), stream: newStream(), len: 0 });
      break;
    case "append": {
      const e = tree.get(op.path) as Extract<Entry, { type: "f" }>;
      set(op.path, { ...e, len: e.len + appended(op.bytes) });
      break;
    }
    case "truncate": {
      const e = tree.get(op.path) as Extract<Entry, { type: "f" }>;
      // emptied: later writes start a new stream; shortened: a prefix of the same stream
      set(op.path, op.size === 0 ? { ...e, stream: newStream(), len: 0 } : { ...e, len: op.size });
      break;
    }
    case "unlink":
    case "rmdir":
      set(op.path, undefined);
      break;
    case "rename": {
      const moved: [string, Entry][] = [];
      for (const [p, e] of tree) if (p === op.from || p.startsWith(op.from + "/")) moved.push([p, e]);
      for (const [p] of moved) set(p, undefined);
      for (const [p, e] of moved) set(op.to + p.slice(op.from.length), e);
      break;
    }
    case "synced":
      break;
  }
}

/**
 * Walks the model's states in order: state(j) is the tree after ops[0..j). Used by the checker
 * to find which states a recovered tree can be.
 */
export class TreeReplayer {
  readonly tree = new Map<string, Entry>();
  /** Where each file (node number) is now. */
  readonly pathOf = new Map<number, string>();
  /** Number of operations applied. */
  position = 0;
  private nextNode = 1;
  private nextStream = 0;

  constructor(private model: WorkloadModel) {}

  get lastOp(): Op | undefined {
    return this.model.ops[this.position - 1];
  }

  /** Applies the next operation; returns the paths it changed (empty for "synced"). */
  step(): Set<string> {
    const op = this.model.ops[this.position++];
    const touched = new Set<string>();
    // node and stream numbers are handed out in the same order as when the model was built
    applyOp(this.tree, op, this.model.streams, () => this.nextNode++, () => this.nextStream++, () => {}, (bytes) => bytes, touched);
    for (const p of touched) {
      const e = this.tree.get(p);
      if (e?.type === "f") this.pathOf.set(e.node, p);
    }
    for (const [node, p] of [...this.pathOf]) {
      const e = this.tree.get(p);
      if (touched.has(p) && (!e || e.type !== "f" || e.node !== node)) this.pathOf.delete(node);
    }
    return touched;
  }

  /** Applies operations until `position` == j. */
  advanceTo(j: number): void {
    while (this.position < j) this.step();
  }
}
