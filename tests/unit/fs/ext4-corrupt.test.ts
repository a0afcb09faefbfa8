// Corrupt images never crash SIS's ext4: over 1,000 seeded random corruptions (flipped bytes
// in the superblock, group descriptors, inode table, extent blocks, directory blocks, any
// metadata; truncated images), the real kernel ext4 compiled to wasm mounts (or refuses),
// walks and reads everything, and unmounts. A wasm trap or a kernel abort fails the test;
// errors must be clear messages; checksummed metadata must not be read silently wrong.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { Ext4Node } from "../../host/ext4-node.ts";
import { ensureTestImages, imagePath } from "../../../images/test-images.ts";
import { xorshift32Fraction as rng } from "../../host/rng.ts";

/** Metadata regions of a clean image, as [start, end) byte ranges, by kind. */
function regions(image: string): Map<string, [number, number][]> {
  const buf = fs.readFileSync(image);
  const bs = 1024 << buf.readUInt32LE(1024 + 0x18);
  const firstData = buf.readUInt32LE(1024 + 0x14);
  const descSize = (buf.readUInt32LE(1024 + 0x60) & 0x80) ? buf.readUInt16LE(1024 + 0xfe) : 32;
  const inodeSize = buf.readUInt16LE(1024 + 0x58);
  const gdOffset = (firstData + 1) * bs;
  const itable = buf.readUInt32LE(gdOffset + 8) * bs;
  const debugfs = (cmd: string) => execFileSync("debugfs", ["-R", cmd, image], { stdio: ["ignore", "pipe", "ignore"] }).toString();
  const dirBlocks: [number, number][] = [];
  for (const dir of ["/", "/etc", "/files", "/dir", "/deep", "/deep/d0/d1/d2/d3"]) {
    for (const b of debugfs(`blocks ${dir}`).trim().split(/\s+/).map(Number)) dirBlocks.push([b * bs, (b + 1) * bs]);
  }
  // "Level Entries Logical Physical Length": the level-0 index entry's physical block
  const ex = debugfs("ex /files/fragmented.bin").split("\n").map((l) => l.match(/^\s*0\/\s*1\s+\d+\/\s*\d+\s+\d+\s+-\s+\d+\s+(\d+)/)).find((m) => m);
  assert.ok(ex, "fragmented.bin has an extent tree block");
  const etb = Number(ex![1]);
  return new Map<string, [number, number][]>([
    ["superblock", [[1024, 2048]]],
    ["group descriptors", [[gdOffset, gdOffset + descSize * 4]]],
    ["inode table", [[itable, itable + inodeSize * 40]]],
    ["extent header", [[etb * bs, etb * bs + 12], [itable + inodeSize * 11 + 0x28, itable + inodeSize * 11 + 0x34]]],
    ["extent block", [[etb * bs, (etb + 1) * bs]]],
    ["directory blocks", dirBlocks],
    ["any metadata", [[0, itable + inodeSize * 64]]],
  ]);
}


describe("ext4: corrupt images give clear errors and never trap", function () {
  this.timeout(600000);
  before(function () {
    this.timeout(600000);
    ensureTestImages();
  });

  for (const name of ["small-1k", "small-4k"]) {
    it(`${name}: 250 seeded corruptions mounted read-write and written to: no trap`, async () => {
      const clean = fs.readFileSync(imagePath(name));
      const where = regions(imagePath(name));
      const kinds = [...where.keys()];
      const k = await Ext4Node.load();
      k.bootMount();
      const random = rng(name === "small-1k" ? 4321 : 8765);
      let refused = 0;
      let withErrors = 0;
      for (let i = 0; i < 250; i++) {
        const kind = kinds[i % kinds.length];
        const image = Buffer.from(clean);
        const ranges = where.get(kind)!;
        for (let f = 1 + Math.floor(random() * 8); f > 0; f--) {
          const [a, b] = ranges[Math.floor(random() * ranges.length)];
          image[a + Math.floor(random() * (b - a))] ^= 1 + Math.floor(random() * 255);
        }
        const dev = `w${i}`;
        const id = k.attachBuffer(dev, image);
        let result: string;
        try {
          result = k.exports.mountWriteUnmount(dev, "/mnt");
        } catch (e) {
          throw new Error(`read-write corruption #${i} (${kind}) crashed the kernel: ${(e as Error).message}`);
        }
        k.exports.detachDisk(dev);
        k.disks.delete(id);
        if (result.startsWith("mount-error")) refused++;
        else if (!/^\d+ \d+ 0 0$/.test(result)) withErrors++;
      }
      assert.equal(k.sh("ls /").status, 0, "the kernel still works");
      console.log(`      ${name} read-write: 250 corruptions, ${refused} refused at mount, ${withErrors} with errors, no trap`);
    });

    it(`${name}: 600 seeded corruptions, every one mounted-or-refused, walked, unmounted`, async () => {
      const clean = fs.readFileSync(imagePath(name));
      const where = regions(imagePath(name));
      const kinds = [...where.keys(), "truncated"];
      const k = await Ext4Node.load();
      k.bootMount(); // tmpfs root with /mnt
      const random = rng(name === "small-1k" ? 1234 : 5678);
      const tally = new Map<string, { runs: number; refused: number; errors: number; clean: number }>();
      const samples: string[] = [];
      const baseline = k.exports.mountExerciseUnmount((k.attachBuffer("c-base", Buffer.from(clean)), "c-base"), "/mnt");
      assert.match(baseline, /^\d+ \d+ 0$/, `the clean image walks without errors: ${baseline}`);
      for (let i = 0; i < 600; i++) {
        const kind = kinds[i % kinds.length];
        let image: Buffer;
        if (kind === "truncated") {
          image = Buffer.from(clean.subarray(0, Math.floor(random() * clean.length / 512) * 512));
        } else {
          image = Buffer.from(clean);
          const ranges = where.get(kind)!;
          const flips = 1 + Math.floor(random() * 8);
          for (let f = 0; f < flips; f++) {
            const [a, b] = ranges[Math.floor(random() * ranges.length)];
            const at = a + Math.floor(random() * (b - a));
            image[at] ^= 1 + Math.floor(random() * 255);
          }
        }
        const dev = `c${i}`;
        if (process.env.CORRUPT_LOG) {
          // debugging a hang: the last image tried is kept beside the log
          fs.appendFileSync(process.env.CORRUPT_LOG, `${name} #${i} ${kind}\n`);
          fs.writeFileSync(process.env.CORRUPT_LOG + ".img", image);
        }
        const id = k.attachBuffer(dev, image);
        let result: string;
        try {
          result = k.exports.mountExerciseUnmount(dev, "/mnt");
        } catch (e) {
          throw new Error(`corruption #${i} (${kind}) crashed the kernel: ${(e as Error).message}`);
        }
        k.exports.detachDisk(dev);
        k.disks.delete(id);
        const t = tally.get(kind) ?? { runs: 0, refused: 0, errors: 0, clean: 0 };
        t.runs++;
        if (result.startsWith("mount-error: ")) {
          t.refused++;
          assert.match(result, /^mount-error: c\d+: \S.{5,}/, `a clear reason: ${result}`);
          if (samples.length < 12 && !samples.some((s) => s.startsWith(kind))) samples.push(`${kind}: ${result}`);
        } else {
          const [, , errors] = result.split(" ").map(Number);
          if (errors > 0) t.errors++;
          else t.clean++;
        }
        tally.set(kind, t);
      }
      // the kernel still works after all of it
      assert.equal(k.sh("ls /").status, 0);
      const remount = k.exports.mountExerciseUnmount((k.attachBuffer("c-again", Buffer.from(clean)), "c-again"), "/mnt");
      assert.equal(remount, baseline);
      console.log(`      ${name}: kind: runs refused/with-errors/clean`);
      for (const [kind, t] of tally) console.log(`        ${kind.padEnd(18)} ${t.runs}: ${t.refused}/${t.errors}/${t.clean}`);
      for (const s of samples) console.log(`        e.g. ${s}`);
      // checksummed structures: a flipped superblock is always noticed (refused, or, when the
      // flip clears the metadata_csum bit itself, errors further on)
      assert.equal(tally.get("superblock")!.clean, 0, "no superblock corruption goes unnoticed");
      assert.ok(tally.get("superblock")!.refused >= 70, "nearly all superblock corruptions are refused at mount");
      assert.equal(tally.get("extent block")!.clean, 0, "every extent block corruption is noticed");
      assert.equal(tally.get("truncated")!.clean, 0, "a truncated image is never read as clean");
    });
  }
});
