// SIS's ext4 (compiled to wasm) reads every image of the matrix made by e2fsprogs
// (images/test-images.ts) and must agree with the source tree: every file's SHA-256, every
// directory's names, sizes, symlink targets, hard links, special files, sparse regions.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Ext4Node } from "../../host/ext4-node.ts";
import {
  ensureTestImages, imagePath, IMAGE_SPECS, TREE_DIR, BIG_DIR, BIG_DIR_ENTRIES, SPARSE_5G, SPARSE_5G_SIZE,
} from "../../../images/test-images.ts";

interface TreeEntry { rel: string; kind: "file" | "dir" | "link" | "other"; stat: fs.Stats }

function walkTree(root: string): TreeEntry[] {
  const out: TreeEntry[] = [];
  const visit = (rel: string) => {
    for (const name of fs.readdirSync(path.join(root, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(path.join(root, r));
      const kind = st.isSymbolicLink() ? "link" : st.isDirectory() ? "dir" : st.isFile() ? "file" : "other";
      out.push({ rel: r, kind, stat: st });
      if (kind === "dir") visit(r);
    }
  };
  visit("");
  return out;
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("ext4 read: the image matrix against the source tree", function () {
  this.timeout(600000);
  let tree: TreeEntry[] = [];
  const hostHash = new Map<string, string>();

  before(function () {
    this.timeout(600000);
    ensureTestImages();
    tree = walkTree(TREE_DIR);
    for (const e of tree) {
      if (e.kind === "file" && e.rel !== SPARSE_5G) hostHash.set(e.rel, sha(fs.readFileSync(path.join(TREE_DIR, e.rel))));
    }
  });

  for (const spec of IMAGE_SPECS) {
    describe(`${spec.name}: ${spec.what}`, () => {
      let k: Ext4Node;
      before(async () => {
        k = await Ext4Node.load();
        k.attach("vda", imagePath(spec.name), { readOnly: true });
        const err = k.exports.mountAt("vda", "/", true);
        assert.equal(err, "", `mount failed: ${err}`);
      });
      after(() => {
        k.exports.unmountAll();
        k.closeFiles();
      });

      it("every regular file's SHA-256 matches the source tree", () => {
        let n = 0;
        for (const [rel, h] of hostHash) {
          assert.equal(k.fileSha256("/" + rel), h, rel);
          n++;
        }
        assert.ok(n > BIG_DIR_ENTRIES, `${n} files compared`);
      });

      it("every directory lists the same names (with . and ..)", () => {
        const dirs = ["", ...tree.filter((e) => e.kind === "dir").map((e) => e.rel)];
        for (const d of dirs) {
          const listed = k.exports.listNames("/" + d);
          assert.ok(!listed.startsWith("error:"), `${d}: ${listed}`);
          const names = listed.split("\n").map((l: string) => l.split("\t")[0]).sort();
          const expected = [".", "..", ...fs.readdirSync(path.join(TREE_DIR, d))];
          if (d === "") expected.push("lost+found");
          assert.deepEqual(names, expected.sort(), `directory /${d}`);
        }
      });

      it("sizes and types match (stat without following symlinks)", () => {
        for (const e of tree) {
          const line: string = k.exports.statLine("/" + e.rel);
          assert.ok(!line.startsWith("error:"), `${e.rel}: ${line}`);
          const [type, , size] = line.split(" ");
          const expectType = { file: "100000", dir: "40000", link: "120000", other: "" }[e.kind];
          if (e.kind !== "other") assert.equal(type, expectType, e.rel);
          if (e.kind === "file" || e.kind === "link") assert.equal(Number(size), e.stat.size, e.rel);
        }
      });

      it("the 10,000-entry directory is found entry by entry", () => {
        const listed = k.exports.listNames("/" + BIG_DIR).split("\n");
        assert.equal(listed.length, BIG_DIR_ENTRIES + 2);
        for (const i of [0, 1, 4999, 9998, 9999]) {
          assert.match(k.exports.statLine(`/${BIG_DIR}/entry-${String(i).padStart(5, "0")}.txt`), /^100000 /);
        }
        assert.match(k.exports.statLine(`/${BIG_DIR}/entry-10000.txt`), /^error: no such file or directory/);
      });

      it("reads the > 4 GiB sparse file: size, data pieces and holes", () => {
        const host = fs.openSync(path.join(TREE_DIR, SPARSE_5G), "r");
        try {
          assert.match(k.exports.statLine("/" + SPARSE_5G), new RegExp(`^100000 644 ${SPARSE_5G_SIZE} `));
          const check = (offset: number, length: number) => {
            const want = Buffer.alloc(length);
            fs.readSync(host, want, 0, length, offset);
            assert.equal(k.exports.readHex("/" + SPARSE_5G, BigInt(offset), length), want.toString("hex"), `at ${offset}`);
          };
          check(0, 5000);
          check(2 * 1024 ** 3, 4096); // a hole: zeros
          check(4 * 1024 ** 3 + 100, 10100); // straddles the start of the piece past 4 GiB
          check(SPARSE_5G_SIZE - 20000, 20000); // the tail
          assert.equal(k.exports.readHex("/" + SPARSE_5G, BigInt(SPARSE_5G_SIZE), 16), "", "nothing after the end");
        } finally {
          fs.closeSync(host);
        }
      });

      it("symlinks: fast and slow targets, relative, absolute, dangling, loops", () => {
        for (const e of tree.filter((x) => x.kind === "link")) {
          assert.equal(k.exports.readLinkOf("/" + e.rel), fs.readlinkSync(path.join(TREE_DIR, e.rel)), e.rel);
        }
        assert.equal(k.fileSha256("/links/relative"), hostHash.get("etc/motd"));
        assert.equal(k.fileSha256("/links/absolute"), hostHash.get("etc/hostname"));
        assert.equal(k.fileSha256("/links/chain"), hostHash.get("etc/motd"));
        assert.equal(k.fileSha256("/links/slow"), sha(Buffer.from("the bottom of a deep path\n")));
        assert.equal(k.fileSha256("/links/dir/size-1.bin"), hostHash.get("files/size-1.bin"));
        assert.match(k.fileSha256("/links/dangling"), /^error: no such file or directory/);
        assert.match(k.fileSha256("/links/loop-a"), /^error: too many levels of symbolic links/);
        const r = k.sh("cat /links/loop-b");
        assert.equal(r.status, 1);
        assert.equal(r.out, "error: cat: /links/loop-b: too many levels of symbolic links\n");
      });

      it("hard links share one inode with a link count of 3", () => {
        const inos = ["hard/original", "hard/second", "hard/sub/third"].map((p) => k.exports.statLine("/" + p).split(" "));
        assert.equal(new Set(inos.map((f: string[]) => f[4])).size, 1);
        for (const f of inos) assert.equal(f[3], "3");
      });

      it("special files are shown by type (fifo, character and block devices)", () => {
        const out = k.sh("ls -l /dev").out;
        assert.match(out, /^prw-r--r-- .* fifo$/m);
        if (fs.existsSync(path.join(TREE_DIR, "dev/null"))) {
          assert.match(out, /^crw-r--r-- .* 1, 3 .* null$/m);
          assert.match(out, /^brw-r--r-- .* 8, 1 .* sda1$/m);
        }
        assert.match(k.sh("stat /dev/fifo").out, /fifo/);
      });

      it("the shell commands work on it: ls -l, cat, hexdump, stat, df, find, readlink, cd/pwd", () => {
        assert.equal(k.sh("cat /etc/motd").out, "Welcome to the SIS file-system test image.\n");
        assert.match(k.sh("ls -l /etc").out, /^-rw-r--r-- +1 +0 +0 +9 +\S+ \S+ +hostname$/m);
        assert.match(k.sh("hexdump -n 16 /files/size-1.bin").out, /^00000000  [0-9a-f]{2} +\|.\|\n00000001\n$/);
        assert.match(k.sh("stat /etc/motd").out, /Size: 43 .*regular file/);
        assert.match(k.sh("df /").out, /vda +ext[234] /);
        const found = k.sh("find /deep -name bottom.txt").out.trim().split("\n");
        assert.equal(found.length, 1);
        assert.match(found[0], /^\/deep(\/level-\d+){30}\/bottom\.txt$/);
        assert.equal(k.sh("readlink /links/relative").out, "../etc/motd\n");
        assert.equal(k.sh("cd /deep/level-0/level-1").status, 0);
        assert.equal(k.sh("pwd").out, "/deep/level-0/level-1\n");
        assert.equal(k.sh("cat ../../../etc/hostname").out, "sis-test\n");
        assert.equal(k.sh("cd /links/dir").status, 0);
        assert.equal(k.sh("pwd").out, "/files\n");
        assert.equal(k.sh("cd /").status, 0);
        assert.match(k.sh("find /names -name 'caf*'").out, /^\/names\/café\.txt$/m);
      });
    });
  }
});
