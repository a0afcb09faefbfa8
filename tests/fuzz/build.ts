// Builds the libFuzzer targets: tests/fuzz/targets.entry.ts -> asc -> wasm-opt -> wasm2c -> C,
// compiled for the host by clang with libFuzzer's coverage instrumentation (the generated
// kernel C) and AddressSanitizer (the glue: runtime.c, harness.c, mutator.c).
//
//   build/fuzz/bin/TARGET        the fuzzers (vfs_path, ext4_image, jbd2_replay, shell_parse, net_rx)
//   build/fuzz/cov/TARGET        the same with llvm source-based coverage (make fuzz-coverage)
//
// Same compiler flags as the kernel's (toolchain/build.ts: ASC_FLAGS, wasm-opt -O3) plus
// --debug/-g, which keep the function names (wasm2c names C functions after them).
// Each step is skipped when its inputs are unchanged.
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { ROOT, ASC_FLAGS, kernelSources, listFiles, step, run } from "../../toolchain/build.ts";
import { generateCorpus, BASE_IMAGE, JOURNAL_IMAGE, JOURNAL_INFO, FUZZ_BUILD, TARGETS } from "./corpus.ts";
import { HEAP_PAGES } from "../host/ext4-node.ts";

const HERE = path.join(ROOT, "tests/fuzz");
const GEN = path.join(FUZZ_BUILD, "gen");
const OBJ = path.join(FUZZ_BUILD, "obj");
export const BIN = path.join(FUZZ_BUILD, "bin");
export const COV_BIN = path.join(FUZZ_BUILD, "cov");
export const ENTRY = "tests/fuzz/targets.entry.ts";
const WASM = path.join(FUZZ_BUILD, "targets.wasm");
const OPT_WASM = path.join(FUZZ_BUILD, "targets.opt.wasm");
export const TARGETS_C = path.join(GEN, "targets.c");
const WASM_FEATURES = ["--enable-bulk-memory", "--enable-sign-ext", "--enable-nontrapping-float-to-int",
  "--enable-mutable-globals"];
const TARGET_IDS: Record<string, number> = { vfs_path: 1, shell_parse: 2, ext4_image: 3, jbd2_replay: 4, net_rx: 5 };

const C_FLAGS = ["-g", "-O2", "-fno-omit-frame-pointer", "-I", GEN, "-I", HERE,
  // Out-of-bounds accesses fault in the guard region (runtime.c) instead of being compared
  // in every load: libFuzzer's comparison tracing of those compares cost half the time.
  "-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=1", "-DWASM_RT_USE_STACK_DEPTH_COUNT=1", "-DWASM_RT_MAX_CALL_STACK_DEPTH=4000",
  "-Wno-unused-function", "-Wno-unused-variable", "-Wno-unused-but-set-variable"];

function compile(name: string, source: string, output: string, flags: string[], extraInputs: string[] = []): void {
  const args = [...C_FLAGS, ...flags, "-c", source, "-o", output];
  step(`clang ${name}`, [source, ...extraInputs], [output], args.join(" "), () => run("clang", args));
}

export function buildFuzzers(options: { coverage?: boolean } = {}): void {
  fs.mkdirSync(GEN, { recursive: true });
  fs.mkdirSync(OBJ, { recursive: true });
  fs.mkdirSync(BIN, { recursive: true });
  const corpusScript = path.join(HERE, "corpus.ts");
  step("fuzz images and seed corpora", [corpusScript, path.join(HERE, "net_seeds.ts")], [BASE_IMAGE, JOURNAL_IMAGE, JOURNAL_INFO], "corpus",
    () => generateCorpus());

  const testSources = [...listFiles(path.join(ROOT, "tests/host"), (f) => f.endsWith(".entry.ts")),
    ...listFiles(HERE, (f) => f.endsWith(".entry.ts"))];
  const ascArgs = [ENTRY, "-o", WASM, ...ASC_FLAGS, "--debug", "--exportStart", "_start",
    "--initialMemory", String(HEAP_PAGES), "--maximumMemory", String(HEAP_PAGES)];
  step("asc: fuzz targets -> targets.wasm", [...kernelSources(), ...testSources, path.join(ROOT, ENTRY),
    path.join(ROOT, "package-lock.json")], [WASM], ascArgs.join(" "),
    () => run(path.join(ROOT, "node_modules/.bin/asc"), ascArgs));
  const optArgs = ["-O3", "-g", ...WASM_FEATURES, WASM, "-o", OPT_WASM];
  step("wasm-opt -O3 -g -> targets.opt.wasm", [WASM], [OPT_WASM], optArgs.join(" "), () => run("wasm-opt", optArgs));
  const w2cArgs = [OPT_WASM, "-n", "fuzz", "-o", TARGETS_C];
  step("wasm2c -> build/fuzz/gen/targets.c", [OPT_WASM], [TARGETS_C], w2cArgs.join(" "), () => run("wasm2c", w2cArgs));
  const header = path.join(GEN, "targets.h");

  const journal = JSON.parse(fs.readFileSync(JOURNAL_INFO, "utf8"));
  const harnessFlags = [`-DSIS_BASE_IMAGE=${BASE_IMAGE}`, `-DSIS_JOURNAL_IMAGE=${JOURNAL_IMAGE}`,
    `-DSIS_JOURNAL_OFFSET=${journal.offset}`, `-DSIS_JOURNAL_BYTES=${journal.bytes}`];
  const glueInputs = [header, path.join(HERE, "fuzz_runtime.h")];

  const variants = options.coverage
    ? [{ dir: COV_BIN, tag: "cov", kernel: ["-fprofile-instr-generate", "-fcoverage-mapping", "-fsanitize=fuzzer-no-link",
          "-UWASM_RT_USE_STACK_DEPTH_COUNT", "-DWASM_RT_USE_STACK_DEPTH_COUNT=0"], // no never-taken depth-check branch in every function
        glue: ["-fsanitize=fuzzer-no-link", "-UWASM_RT_USE_STACK_DEPTH_COUNT", "-DWASM_RT_USE_STACK_DEPTH_COUNT=0"], link: ["-fsanitize=fuzzer", "-fprofile-instr-generate"] }]
    : [{ dir: BIN, tag: "fuzz", kernel: ["-fsanitize=fuzzer-no-link"],
        glue: ["-fsanitize=address,fuzzer-no-link"], link: ["-fsanitize=fuzzer,address"] }];
  for (const v of variants) {
    fs.mkdirSync(v.dir, { recursive: true });
    const kernelObj = path.join(OBJ, `targets.${v.tag}.o`);
    compile(`targets.c (${v.tag})`, TARGETS_C, kernelObj, v.kernel, [header]);
    const runtimeObj = path.join(OBJ, `runtime.${v.tag}.o`);
    compile(`runtime.c (${v.tag})`, path.join(HERE, "runtime.c"), runtimeObj, v.glue, glueInputs);
    const mutatorObj = path.join(OBJ, `mutator.${v.tag}.o`);
    compile(`mutator.c (${v.tag})`, path.join(HERE, "mutator.c"), mutatorObj, v.glue, glueInputs);
    for (const target of TARGETS) {
      const harnessObj = path.join(OBJ, `harness-${target}.${v.tag}.o`);
      compile(`harness.c ${target} (${v.tag})`, path.join(HERE, "harness.c"), harnessObj,
        [...v.glue, `-DSIS_TARGET=${TARGET_IDS[target]}`, ...harnessFlags], [...glueInputs, BASE_IMAGE, JOURNAL_IMAGE]);
      const objects = [harnessObj, runtimeObj, kernelObj];
      // the structure-aware mutator belongs to the image targets only
      if (target === "ext4_image" || target === "jbd2_replay") objects.push(mutatorObj);
      const out = path.join(v.dir, target);
      const linkArgs = [...v.link, "-g", ...objects, "-o", out];
      step(`link ${target} (${v.tag})`, objects, [out], linkArgs.join(" "), () => run("clang", linkArgs));
    }
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildFuzzers({ coverage: process.argv.includes("--coverage") });
}
