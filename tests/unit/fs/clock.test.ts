// Real time (issue 24, bug 10): the wall clock from the PL031 RTC at boot, `date`, and tmpfs
// times (atime set on read, nanoseconds kept). On Node with a fake PL031 on the MMIO bus.
import assert from "node:assert/strict";
import { Ext4Node } from "../../host/ext4-node.ts";

const RTC = 0x09010000n;
/** A PL031 that reads `seconds` (and its PrimeCell and peripheral IDs). */
function fakePl031(seconds: number) {
  const ids: Record<number, number> = { 0xfe0: 0x31, 0xfe4: 0x10, 0xfe8: 0x14, 0xfec: 0x00, 0xff0: 0x0d, 0xff4: 0xf0, 0xff8: 0x05, 0xffc: 0xb1 };
  return {
    read(addr: bigint, _size: number): bigint {
      const off = Number(addr - RTC);
      if (off === 0) return BigInt(seconds);
      return BigInt(ids[off] ?? 0);
    },
    write() {},
  };
}

describe("wall clock from the PL031 RTC, date, tmpfs times", function () {
  this.timeout(120000);

  it("no RTC (IDs read 0): the built-in date, and date says so", async () => {
    const k = await Ext4Node.load();
    k.platform.mmio = { read: () => 0n, write() {} };
    assert.equal(k.exports.clockFromRtc(), "built-in date, no RTC");
    assert.match(k.sh("date").out, /^2026-01-01 \d\d:\d\d:\d\d UTC \(built-in date, no RTC\)\n$/);
  });

  it("reads the RTC at boot: date, date --epoch, date --json and file times follow it", async () => {
    const k = await Ext4Node.load();
    const host = Math.floor(Date.now() / 1000);
    k.platform.mmio = fakePl031(host);
    assert.equal(k.exports.clockFromRtc(), "PL031 RTC");
    k.platform.mmio = null; // read once at boot, never again
    const epoch = Number(k.sh("date --epoch").out.trim());
    assert.ok(Math.abs(epoch - host) < 3, `${epoch} vs ${host}`);
    assert.match(k.sh("date").out, new RegExp(`^${new Date(host * 1000).toISOString().slice(0, 10)} \\d\\d:\\d\\d:\\d\\d UTC \\(PL031 RTC\\)\\n$`));
    const j = JSON.parse(k.sh("date --json").out);
    assert.equal(j.source, "PL031 RTC");
    assert.equal(k.sh("date --bogus").status, 1);

    k.bootMount(); // no disk: a tmpfs root
    assert.equal(k.sh("write /f hello").status, 0);
    const st1 = k.sh("stat /f").out;
    const day = new Date(host * 1000).toISOString().slice(0, 10);
    assert.match(st1, new RegExp(`Modify: ${day} \\d\\d:\\d\\d:\\d\\d\\.\\d{9}`));
    const ns = (line: string) => Number(st1.match(new RegExp(`${line}: \\S+ \\S+\\.(\\d{9})`))![1]);
    assert.ok(ns("Modify") > 0 || ns("Change") > 0, "nanoseconds kept (not whole seconds)");
    // atime: set at creation; a read after a later write sets it again (relatime)
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(k.sh("append /f more").status, 0);
    const modify = k.sh("stat /f").out.match(/Modify: (.*)/)![1];
    assert.equal(k.sh("cat /f").status, 0);
    const access = k.sh("stat /f").out.match(/Access: (\d.*)/)![1];
    assert.ok(access >= modify, `atime ${access} after the read, mtime ${modify}`);
  });
});
