// Tab completion of paths in the console shell (issue 24, bug 9: `ls<TAB>/` ran `ls/`), on an
// ext4 root on Node: a unique name, a directory (trailing '/'), a common prefix, commands.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Ext4Node } from "../../host/ext4-node.ts";
import { ensureTestImages, imagePath } from "../../../images/test-images.ts";

describe("shell Tab completion of commands and paths", function () {
  this.timeout(300000);
  let work: string;
  let k: Ext4Node;
  before(async function () {
    this.timeout(600000);
    ensureTestImages();
    work = fs.mkdtempSync(path.join(os.tmpdir(), "sis-complete-"));
    const image = path.join(work, "root.img");
    fs.copyFileSync(imagePath("small-1k"), image);
    k = await Ext4Node.load();
    k.attach("vda", image);
    k.bootMount();
    for (const line of ["mkdir /compdir", "write /compdir/alpha-one 1", "write /compdir/alpha-two 2", "write /compdir/beta 3", "mkdir /compdir/sub"])
      assert.equal(k.sh(line).status, 0, line);
  });
  after(() => {
    k.exports.unmountAll();
    k.closeFiles();
    fs.rmSync(work, { recursive: true, force: true });
  });
  const typed = (bytes: string): string => {
    k.exports.typeToShell("\x15" + bytes); // Ctrl-U first: a fresh line
    return k.exports.shellLine();
  };

  it("completes a command name, then a path after it", () => {
    assert.equal(typed("sha\t"), "sha256sum ");
    assert.equal(typed("ls /compd\t"), "ls /compdir/");
    assert.equal(typed("ls /compdir/b\t"), "ls /compdir/beta ");
    assert.equal(typed("ls /compdir/s\t"), "ls /compdir/sub/");
  });
  it("extends to the common prefix of several matches and lists them on a second Tab", () => {
    assert.equal(typed("cat /compdir/al\t"), "cat /compdir/alpha-");
    k.platform.takeOutput();
    assert.equal(typed("cat /compdir/alpha-\t"), "cat /compdir/alpha-");
    assert.match(k.platform.takeOutput(), /\r\nalpha-one  alpha-two\r\n/);
  });
  it("ls<TAB>/ completes and runs 'ls /', never 'ls/'", () => {
    k.exports.typeToShell("\x15");
    k.platform.takeOutput();
    k.exports.typeToShell("ls\t/\r");
    const out = k.platform.takeOutput();
    assert.doesNotMatch(out, /unknown command/);
    assert.match(out, /compdir\//);
  });
  it("no match changes nothing", () => {
    assert.equal(typed("cat /nothing-here\t"), "cat /nothing-here");
  });
});
