// The profiler's symbol table (toolchain/symbols.ts): code symbols from an lld-link -lldmap,
// wasm2c's names mapped back to AssemblyScript ones through the wasm name section.
import assert from "node:assert/strict";
import { lldmapSymbols, wasm2cName, wasmFunctionNames, symbolFile } from "../../../toolchain/symbols.ts";

const MAP = `Address  Size     Align Out     In      Symbol
00001000 00001100  4096 .text
00001000 000002e4     4         build/obj/arch-aarch64_gic.c.obj:(.text)
00001000 00000000     0                 gic_init
00001000 00000000     0                 gic_init
00001254 00000000     0                 gic_enable
00002000 00000100     4         build/obj/gen_kernel.c.obj:(.text)
00002000 00000000     0                 w2c__lib_rt_itcms___new
00002040 00000000     0                 Z_kernelZ_kmain
00002080 00000000     0                 w2c_kernel_fs_vfs_open
00004000 00000100  4096 .rdata
00004000 00000000     0                 some_table
`;

describe("toolchain: profiler symbols", function () {
  it("mangles as wasm2c 1.0.32 does", function () {
    assert.equal(wasm2cName("~lib/rt/itcms/__new"), "w2c__lib_rt_itcms___new");
    assert.equal(wasm2cName("kernel/fs/vfs/open"), "w2c_kernel_fs_vfs_open");
    assert.equal(wasm2cName("kernel/shell/shell/Shell#execute"), "w2c_kernel_shell_shell_Shell_execute");
  });

  it("reads .text symbols of the map and names them back", function () {
    const m = lldmapSymbols(MAP);
    assert.equal(m.textEnd, 0x2100);
    assert.deepEqual(m.symbols.map((s) => s.name), ["gic_init", "gic_init", "gic_enable", "w2c__lib_rt_itcms___new", "Z_kernelZ_kmain", "w2c_kernel_fs_vfs_open"]);
    const text = symbolFile(m, ["~lib/rt/itcms/__new", "kernel/fs/vfs/open"]);
    assert.equal(text, "1000 gic_init\n1254 gic_enable\n2000 ~lib/rt/itcms/__new\n2040 kmain\n2080 kernel/fs/vfs/open\nend 2100\n");
  });

  it("parses the wasm name section", function () {
    // a module with only a custom "name" section: function 0 "a/b", 3 "~lib/x"
    const str = (s: string) => [s.length, ...Buffer.from(s)];
    const sub = [2, 0, ...str("a/b"), 3, ...str("~lib/x")];
    const payload = [...str("name"), 1, sub.length, ...sub];
    const wasm = Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0, payload.length, ...payload]);
    assert.deepEqual([...wasmFunctionNames(wasm).entries()], [[0, "a/b"], [3, "~lib/x"]]);
  });
});
