// CRC-32C: buffers from 64 bytes go to the platform's crc32c_update (the CPU's crc32c
// instructions on the target, tests/host/platform.ts here); both paths agree with the table
// version at every length and alignment, and with the standard check value.
import assert from "node:assert/strict";
import { loadKernelModule, KernelModule } from "../../host/compile.ts";

describe("lib: crc32c, hardware and table paths", function () {
  let k: KernelModule<any>;
  before(async function () {
    this.timeout(600000);
    k = await loadKernelModule("tests/unit/lib/crc32c.entry.ts");
  });

  it("agrees with the table version at every length 0..300 and offset 0..7, chained", function () {
    for (let offset = 0; offset < 8; offset++) {
      for (let length = 0; length <= 300; length++) {
        const seed = (0xffffffff - length * 7919) >>> 0;
        assert.equal(k.exports.viaUpdate(seed, offset, length) >>> 0, k.exports.viaSoftware(seed, offset, length) >>> 0, `offset ${offset} length ${length}`);
      }
    }
    const whole = k.exports.viaUpdate(0xffffffff, 3, 4000) >>> 0;
    const split = k.exports.viaUpdate(k.exports.viaUpdate(0xffffffff, 3, 1000) >>> 0, 1003, 3000) >>> 0;
    assert.equal(split, whole);
  });

  it("the standard check value through both paths", function () {
    // a bitwise reference, independent of both tables
    const reference = (bytes: Buffer) => {
      let c = 0xffffffff;
      for (const b of bytes) {
        c ^= b;
        for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      }
      return (~c) >>> 0;
    };
    assert.equal(reference(Buffer.from("123456789")), 0xe3069283);
    assert.equal(k.exports.standardOfRepeats(1) >>> 0, 0xe3069283); // 9 bytes: table path
    assert.equal(k.exports.standardOfRepeats(10) >>> 0, reference(Buffer.from("123456789".repeat(10)))); // 90: platform
    assert.equal(k.exports.standardOfRepeats(500) >>> 0, reference(Buffer.from("123456789".repeat(500))));
  });
});
