// Incident reports (issue 24, bug 11), the boot side on Node: a report the panic path left in
// the reserved area after the file system (arch-aarch64/incident.c's format) is stored as
// /incidents/<date>-<time>-<kind>.txt, the area is cleared, and the next boot adds nothing.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Ext4Node } from "../../host/ext4-node.ts";
import { ensureTestImages, imagePath } from "../../../images/test-images.ts";

const AREA = 4096;
const REPORT = "\r\n*** KERNEL PANIC: CPU exception: synchronous, current EL with SP_ELx\r\n    cause: data abort\r\n" +
  "    ELR_EL1 0x00000000bf41c2d4  (faulting instruction)\r\n*** incident";

describe("incident reports: stored in /incidents/ at the next boot", function () {
  this.timeout(120000);
  let work: string;
  before(function () {
    this.timeout(600000);
    ensureTestImages();
    work = fs.mkdtempSync(path.join(os.tmpdir(), "sis-incidents-"));
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  /** small-1k plus the 4 KiB area holding `area`; returns the image path. */
  function disk(area: Buffer): string {
    const image = path.join(work, `disk-${Date.now()}-${Math.random()}.img`);
    fs.copyFileSync(imagePath("small-1k"), image);
    const fsBytes = fs.statSync(image).size;
    const padded = Buffer.alloc(AREA);
    area.copy(padded);
    fs.appendFileSync(image, padded);
    return image + ":" + fsBytes;
  }

  async function boot(image: string): Promise<Ext4Node> {
    const k = await Ext4Node.load();
    k.attach("vda", image);
    k.bootMount();
    return k;
  }

  it("stores a fault report with its kind, time and PC, clears the area; a second boot adds nothing", async () => {
    const [image, fsBytes] = disk(Buffer.from("SISPANIC 1796304900\n" + REPORT)).split(":");
    let k = await boot(image);
    const line = k.exports.storeIncidentAtBoot(1796305000n) as string;
    assert.equal(line, "incidents: the last boot ended in a kernel panic (fault): report in /incidents/2026-12-03-133500-fault.txt");
    const cat = k.sh("cat /incidents/2026-12-03-133500-fault.txt");
    assert.equal(cat.status, 0);
    assert.match(cat.out, /^SIS incident report: kernel panic \(fault\)\nwhen: 2026-12-03 13:35:00 UTC\n\n\*\*\* KERNEL PANIC: CPU exception/);
    assert.ok(cat.out.includes("ELR_EL1 0x00000000bf41c2d4"), cat.out);
    assert.ok(!cat.out.includes("\r"));
    k.sh("sync");
    const after = fs.readFileSync(image);
    assert.ok(after.subarray(Number(fsBytes)).every((b) => b === 0), "the area is cleared");

    k = await boot(image);
    assert.equal(k.exports.storeIncidentAtBoot(1796306000n) as string, "");
    assert.equal(k.sh("ls /incidents").out.split("\n").filter((n) => n.endsWith(".txt")).length, 1);
  });

  it("trap and abort reports get their kind; an unknown time falls back to the boot's; names never collide", async () => {
    const trap = "SISPANIC 0\n\r\n*** KERNEL PANIC: wasm trap: unreachable executed\r\n";
    const [image] = disk(Buffer.from(trap)).split(":");
    let k = await boot(image);
    assert.match(k.exports.storeIncidentAtBoot(1796305000n) as string, /\(trap\): report in \/incidents\/2026-12-03-133640-trap\.txt$/);
    assert.match(k.sh("cat /incidents/2026-12-03-133640-trap.txt").out, /when: unknown/);
    // the same second again (a second panic report): a suffix, not an overwrite
    const fd = fs.openSync(image, "r+");
    const size = fs.fstatSync(fd).size;
    fs.writeSync(fd, Buffer.from(trap), 0, trap.length, size - AREA);
    fs.closeSync(fd);
    k = await boot(image);
    assert.match(k.exports.storeIncidentAtBoot(1796305000n) as string, /2026-12-03-133640-trap-2\.txt$/);
    const abort = "SISPANIC 1796304900\n\r\n*** KERNEL PANIC: kernel abort: deliberate\r\n";
    const [image2] = disk(Buffer.from(abort)).split(":");
    k = await boot(image2);
    assert.match(k.exports.storeIncidentAtBoot(1796305000n) as string, /\(abort\)/);
  });

  it("no report (zeros, garbage) stores nothing; a disk without the area says the feature is off", async () => {
    for (const area of [Buffer.alloc(0), Buffer.from("SISPANIC x\nhello"), Buffer.from("random bytes\n")]) {
      const [image] = disk(area).split(":");
      const k = await boot(image);
      assert.equal(k.exports.storeIncidentAtBoot(1796305000n) as string, "");
      assert.equal(k.sh("ls /incidents").status === 0 && k.sh("ls /incidents").out.includes(".txt"), false);
    }
    const plain = path.join(work, "plain.img");
    fs.copyFileSync(imagePath("small-1k"), plain);
    const k = await boot(plain);
    assert.match(k.exports.storeIncidentAtBoot(1796305000n) as string, /no reserved area/);
  });
});
