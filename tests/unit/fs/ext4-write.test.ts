// e2fsprogs judges SIS's ext4 writes. Seeded random operation sequences (create, write,
// append, overwrite, sparse write, truncate up and down, unlink, mkdir, rmdir, rename over
// files and across directories, symlink, hard link, chmod, sync/fsync) run on the real
// kernel ext4 (wasm) against a reference model of the expected contents. After every
// sequence SIS's own `fsctl verify` must be clean and every file must read back as the model
// says; after every round (a batch of sequences on one image) the file system is unmounted
// and `e2fsck -fn` must exit 0 and `debugfs rdump` must reproduce the model exactly.
//
// FS_ROUNDS / FS_SEQUENCES / FS_OPS (environment) scale it up; the defaults keep CI short.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Ext4Node } from "../../host/ext4-node.ts";
import { ensureTestImages, imagePath, seededBytes } from "../../../images/test-images.ts";
import { xorshift32Fraction as rng } from "../../host/rng.ts";

const ROUNDS = Number(process.env.FS_ROUNDS ?? 40);
const SEQUENCES = Number(process.env.FS_SEQUENCES ?? 50);
const OPS = Number(process.env.FS_OPS ?? 6);

type Node = { kind: "file"; data: Buffer; mode: number; id?: number } | { kind: "dir" } | { kind: "link"; target: string };

class Model {
  // path -> node; hard links share one file object
  nodes = new Map<string, Node>();
  constructor() {
    this.nodes.set("/w", { kind: "dir" });
  }
  dirs(): string[] {
    return [...this.nodes.entries()].filter(([, n]) => n.kind === "dir").map(([p]) => p);
  }
  files(): string[] {
    return [...this.nodes.entries()].filter(([, n]) => n.kind === "file").map(([p]) => p);
  }
  children(dir: string): string[] {
    return [...this.nodes.keys()].filter((p) => p !== dir && path.posix.dirname(p) === dir);
  }
  under(dir: string): string[] {
    return [...this.nodes.keys()].filter((p) => p.startsWith(dir + "/"));
  }
}


const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

function writeInto(data: Buffer, offset: number, bytes: Buffer): Buffer {
  if (bytes.length === 0) return data; // writing nothing never changes the size
  const end = Math.max(data.length, offset + bytes.length);
  const out = Buffer.alloc(end);
  data.copy(out);
  bytes.copy(out, offset);
  return out;
}

/** One random operation against kernel and model; throws when they disagree. */
function step(k: Ext4Node, m: Model, r: () => number, log: string[]): void {
  const pick = <T,>(a: T[]): T => a[Math.floor(r() * a.length)];
  const dirs = m.dirs();
  const files = m.files();
  const fresh = () => `${pick(dirs)}/n${Math.floor(r() * 100000)}`;
  const sizes = [0, 1, 100, 1023, 1024, 4095, 4096, 4097, 10000, 70000, 300000];
  const choice = r();
  // keep room on the small image (a full disk has its own test): delete the biggest file
  if (choice < 0.4 && files.length > 0 && Number(k.exports.freeBytes("/w")) < 1200000) {
    const big = files.reduce((a, b) => ((m.nodes.get(a) as any).data.length >= (m.nodes.get(b) as any).data.length ? a : b));
    const node = m.nodes.get(big);
    for (const name of files.filter((f) => m.nodes.get(f) === node)) {
      log.push(`rm ${name} (room)`);
      assert.equal(k.sh(`rm ${name}`).status, 0);
      m.nodes.delete(name);
    }
    return;
  }
  const ids = (cmd: string) => cmd.split(" ").map((w) => {
    const n = m.nodes.get(w) as any;
    return n && n.kind === "file" ? `#${n.id ??= Math.floor(r() * 1e9) % 100000}:${n.data.length}` : "";
  }).join("");
  const sh = (cmd: string, expectOk = true) => {
    log.push(cmd + "   " + ids(cmd));
    const res = k.sh(cmd);
    if (expectOk) assert.equal(res.status, 0, `${cmd}: ${res.out}`);
    return res;
  };
  const put = (p: string, offset: number, length: number, seed: number, truncate: boolean) => {
    log.push(`put ${p} @${offset} +${length} seed ${seed}${truncate ? " (truncate)" : ""}   ${ids(p)} free ${k.exports.freeBytes("/w")}`);
    const n = Number(k.exports.putPattern(p, BigInt(offset), length, seed, truncate));
    if (n !== length) {
      if (process.env.FS_LOG) fs.writeFileSync(process.env.FS_LOG, log.join("\n") + "\n");
      const again = Number(k.exports.putPattern(p, BigInt(offset + Math.max(n, 0)), 1, 7, false));
      assert.fail(`put ${p}: ${n < 0 ? k.exports.errorText(n) : n} of ${length}; then: ${again < 0 ? k.exports.errorText(again) : again}; free ${k.exports.freeBytes("/w")}; ${k.sh("fsctl journal").out}`);
    }
    const node = m.nodes.get(p);
    const bytes = seededBytes(seed, length);
    if (node && node.kind === "file") node.data = writeInto(truncate ? Buffer.alloc(0) : node.data, offset, bytes);
    else m.nodes.set(p, { kind: "file", data: writeInto(Buffer.alloc(0), offset, bytes), mode: 0o644 });
  };
  if (choice < 0.2 || files.length === 0) {
    put(fresh(), 0, pick(sizes), 1 + Math.floor(r() * 100000), true);
  } else if (choice < 0.3) {
    const f = pick(files);
    const node = m.nodes.get(f) as { data: Buffer };
    put(f, node.data.length, pick(sizes), 1 + Math.floor(r() * 100000), false);
  } else if (choice < 0.4) {
    const f = pick(files);
    const node = m.nodes.get(f) as { data: Buffer };
    const offset = Math.floor(r() * (node.data.length + 50000)); // sometimes past the end: a hole
    put(f, offset, pick(sizes), 1 + Math.floor(r() * 100000), false);
  } else if (choice < 0.48) {
    const f = pick(files);
    const node = m.nodes.get(f) as { data: Buffer };
    const size = Math.floor(r() * (node.data.length * 1.5 + 5000));
    sh(`truncate -s ${size} ${f}`);
    const out = Buffer.alloc(size);
    node.data.copy(out, 0, 0, Math.min(size, node.data.length));
    node.data = out;
  } else if (choice < 0.56) {
    const f = pick(files);
    sh(`rm ${f}`);
    m.nodes.delete(f);
  } else if (choice < 0.64) {
    const d = fresh();
    sh(`mkdir ${d}`);
    m.nodes.set(d, { kind: "dir" });
  } else if (choice < 0.7) {
    const d = pick(dirs);
    if (d === "/w") return;
    if (m.children(d).length > 0) {
      const res = sh(`rmdir ${d}`, false);
      assert.equal(res.out, `error: rmdir: ${d}: directory not empty\n`);
    } else {
      sh(`rmdir ${d}`);
      m.nodes.delete(d);
    }
  } else if (choice < 0.8) {
    // rename a file (over an existing file half of the time) or a directory into another
    if (r() < 0.7 || dirs.length < 3) {
      const f = pick(files);
      const others = files.filter((x) => x !== f);
      const to = others.length > 0 && r() < 0.5 ? pick(others) : fresh();
      sh(`mv ${f} ${to}`);
      const node = m.nodes.get(f)!;
      if (m.nodes.get(to) === node) return; // two names of one file: rename(2) does nothing
      m.nodes.delete(f);
      m.nodes.set(to, node);
    } else {
      const d = pick(dirs.filter((x) => x !== "/w"));
      const target = pick(dirs.filter((x) => x !== d && !x.startsWith(d + "/")));
      const to = `${target}/m${Math.floor(r() * 100000)}`;
      sh(`mv ${d} ${to}`);
      for (const p of [d, ...m.under(d)]) {
        const node = m.nodes.get(p)!;
        m.nodes.delete(p);
        m.nodes.set(to + p.slice(d.length), node);
      }
    }
  } else if (choice < 0.86) {
    const target = r() < 0.5 ? "../" + "t".repeat(Math.floor(r() * 120)) : pick(files);
    const l = fresh();
    sh(`ln -s ${target} ${l}`);
    m.nodes.set(l, { kind: "link", target });
  } else if (choice < 0.92) {
    const f = pick(files);
    const l = fresh();
    sh(`ln ${f} ${l}`);
    m.nodes.set(l, m.nodes.get(f)!);
  } else if (choice < 0.96) {
    const f = pick(files);
    const mode = pick([0o600, 0o644, 0o755, 0o400]);
    sh(`chmod ${mode.toString(8)} ${f}`);
    (m.nodes.get(f) as { mode: number }).mode = mode;
  } else {
    sh(r() < 0.5 ? "sync" : `sync ${pick(files)}`);
  }
}

/** Every model path reads back through SIS as expected. */
function checkThroughKernel(k: Ext4Node, m: Model, log: string[]): void {
  if (process.env.FS_LOG) fs.writeFileSync(process.env.FS_LOG, log.join("\n") + "\n");
  for (const [p, n] of m.nodes) {
    if (n.kind === "file" && k.fileSha256(p) !== sha(n.data)) {
      const same = [...m.nodes.entries()].filter(([, x]) => x === n).map(([q]) => `${q}: ${k.exports.statLine(q)}`);
      console.log(`MISMATCH ${p}: model size ${n.data.length}; kernel:\n  ${same.join("\n  ")}`);
    }
    if (n.kind === "file") assert.equal(k.fileSha256(p), sha(n.data), `content of ${p} (size ${n.data.length}):\n${log.filter((l) => l.includes(path.posix.basename(p))).join("\n")}`);
    else if (n.kind === "link") assert.equal(k.exports.readLinkOf(p), n.target, `target of ${p}`);
    else assert.match(k.exports.statLine(p), /^40000 /, `${p} is a directory`);
  }
}

/** The image as e2fsprogs sees it: e2fsck -fn clean, and rdump equal to the model. */
function checkWithE2fsprogs(image: string, m: Model, log: string[]): void {
  const fsck = spawnSync("e2fsck", ["-fn", image], { encoding: "utf8" });
  if (fsck.status !== 0) {
    const keep = path.join(path.dirname(image), `failed-${Date.now()}.img`);
    fs.copyFileSync(image, keep);
    assert.fail(`e2fsck -fn exited ${fsck.status} (image kept as ${keep}):\n${fsck.stdout}\nlast operations:\n${log.slice(-15).join("\n")}`);
  }
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "sis-rdump-"));
  try {
    execFileSync("debugfs", ["-R", `rdump /w ${out}`, image], { stdio: ["ignore", "pipe", "pipe"] });
    for (const [p, n] of m.nodes) {
      const host = path.join(out, p);
      if (n.kind === "file") {
        assert.equal(sha(fs.readFileSync(host)), sha(n.data), `debugfs content of ${p}`);
        assert.equal(fs.statSync(host).mode & 0o777, n.mode, `mode of ${p}`);
      } else if (n.kind === "link") assert.equal(fs.readlinkSync(host), n.target, `debugfs symlink ${p}`);
      else assert.ok(fs.statSync(host).isDirectory(), `${p} is a directory`);
    }
    // nothing else on disk
    const walk = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true })
      .flatMap((e) => [path.join(d, e.name), ...(e.isDirectory() ? walk(path.join(d, e.name)) : [])]);
    const onDisk = walk(path.join(out, "w")).map((p) => "/" + path.relative(out, p)).sort();
    assert.deepEqual(onDisk, [...m.nodes.keys()].filter((p) => p !== "/w").sort(), "the same names on disk");
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

describe("ext4 write: random operation sequences judged by e2fsck and debugfs", function () {
  this.timeout(900000);
  let work: string;
  before(function () {
    this.timeout(600000);
    ensureTestImages();
    work = fs.mkdtempSync(path.join(os.tmpdir(), "sis-ext4-write-"));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  it(`${ROUNDS} rounds x ${SEQUENCES} sequences x ${OPS} operations on 1 KiB, 4 KiB and checksum-less images`, async () => {
    let sequences = 0;
    let operations = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const base = ["small-1k", "small-4k", "small-nocsum"][round % 3];
      const image = path.join(work, `round-${round}.img`);
      fs.copyFileSync(imagePath(base), image);
      // a fresh kernel per round, the image mounted at "/"
      const k = await Ext4Node.load();
      k.attach("vda", image);
      assert.equal(k.exports.mountAt("vda", "/", false), "");
      const m = new Model();
      assert.equal(k.sh("mkdir /w").status, 0);
      const r = rng(1000 + round);
      const log: string[] = [];
      for (let s = 0; s < SEQUENCES; s++) {
        for (let o = 0; o < OPS; o++) step(k, m, r, log);
        operations += OPS;
        sequences++;
        const v = k.sh("fsctl verify");
        assert.equal(v.status, 0, `fsctl verify after sequence ${s} of round ${round}:\n${v.out}\nlast operations:\n${log.slice(-15).join("\n")}`);
        checkThroughKernel(k, m, log);
      }
      assert.equal(k.exports.unmountAll(), 0);
      k.closeFiles();
      checkWithE2fsprogs(image, m, log);
      fs.rmSync(image);
    }
    console.log(`      ${sequences} sequences, ${operations} operations: fsctl verify clean after each, e2fsck -fn clean after each of ${ROUNDS} rounds`);
  });
});
