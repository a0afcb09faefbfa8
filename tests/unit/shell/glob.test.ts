// Glob expansion in the shell (issue 24 rough edge: `rm -rf /tmp/*` silently did nothing), on a
// tmpfs root on Node: *, ?, [..], hidden names, directories in the middle, quoting keeps a
// pattern literal, no match leaves the word for the command to report.
import assert from "node:assert/strict";
import { Ext4Node } from "../../host/ext4-node.ts";

describe("shell glob expansion", function () {
  this.timeout(300000);
  let k: Ext4Node;
  before(async () => {
    k = await Ext4Node.load();
    k.bootMount(); // no disk: tmpfs root
    for (const line of ["mkdir /g", "mkdir /g/d1", "mkdir /g/d2", "write /g/a.txt 1", "write /g/b.txt 2", "write /g/c.log 3",
      "write /g/.hidden 4", "write /g/d1/x 5", "write /g/d2/x 6", "write /g/d2/y 7"])
      assert.equal(k.sh(line).status, 0, line);
  });
  const echo = (line: string) => k.sh(line).out.trim();

  it("expands *, ? and [..] in sorted order, skipping hidden names", () => {
    assert.equal(echo("echo /g/*"), "/g/a.txt /g/b.txt /g/c.log /g/d1 /g/d2");
    assert.equal(echo("echo /g/*.txt"), "/g/a.txt /g/b.txt");
    assert.equal(echo("echo /g/?.log"), "/g/c.log");
    assert.equal(echo("echo /g/[ab].*"), "/g/a.txt /g/b.txt");
    assert.equal(echo("echo /g/.h*"), "/g/.hidden");
  });
  it("patterns in the middle of a path go through directories only", () => {
    assert.equal(echo("echo /g/d*/x"), "/g/d1/x /g/d2/x");
    assert.equal(echo("echo /g/*/y"), "/g/d2/y");
  });
  it("relative patterns expand in the working directory", () => {
    assert.equal(k.sh("cd /g/d2").status, 0);
    assert.equal(echo("echo *"), "x y");
    assert.equal(k.sh("cd /").status, 0);
  });
  it("quoted or escaped patterns stay literal; no match stays as typed and the command reports it", () => {
    assert.equal(echo("echo '/g/*'"), "/g/*");
    assert.equal(echo("echo /g/\\*"), "/g/*");
    assert.equal(echo("echo /g/*.none"), "/g/*.none");
    const r = k.sh("cat /g/*.none");
    assert.equal(r.status, 1);
    assert.match(r.out, /error: cat: \/g\/\*\.none: no such file or directory/);
  });
  it("ls -R lists the directories below, each under its header", () => {
    const r = k.sh("ls -R /g");
    assert.equal(r.status, 0);
    assert.equal(r.out, "/g:\na.txt\nb.txt\nc.log\nd1/\nd2/\n\n/g/d1:\nx\n\n/g/d2:\nx\ny\n");
    k.platform.type("\x03");
    const stopped = k.sh("ls -R /");
    assert.equal(stopped.status, 130);
    assert.match(stopped.out, /error: ls: interrupted\n$/);
  });
  it("mv between file systems copies the file and removes the source (it said 'cross-device link')", () => {
    assert.equal(k.sh("mkdir /other").status, 0);
    assert.equal(k.exports.mountAt("tmpfs", "/other", false), "");
    assert.equal(k.sh("write /g/moving across-mounts").status, 0);
    const r = k.sh("mv /g/moving /other");
    assert.equal(r.status, 0, r.out);
    assert.equal(k.sh("cat /other/moving").out, "across-mounts\n");
    assert.equal(k.sh("cat /g/moving").status, 1, "the source is gone");
    const d = k.sh("mv /g/d1 /other");
    assert.equal(d.status, 1);
    assert.match(d.out, /error: mv: \/g\/d1: only regular files move between file systems/);
  });
  it("rm -r /g/* empties the directory (the bug: it did nothing)", () => {
    assert.equal(k.sh("rm -r /g/*").status, 0);
    assert.equal(k.sh("ls -a /g").out.split("\n").filter((l) => l && l !== "./" && l !== "../").join(","), ".hidden");
  });
});
