// `make fuzz-coverage [TARGET=name]`: line and branch coverage of the kernel code the fuzz
// corpora reach. The targets are rebuilt with clang's source-based coverage on the generated C
// (build/fuzz/cov/TARGET), every input of the corpus (seeds + what `make fuzz` found) is run
// once, and llvm-cov reports per C function; wasm2c names each C function after its
// AssemblyScript function (w2c_kernel_fs_vfs_walk = kernel/fs/vfs.ts walk), so the report is
// by AssemblyScript function and file.
//
//   build/fuzz/coverage/TARGET.txt     per function: lines, branches (covered/total)
//   build/fuzz/coverage/summary.json   per target and per kernel file; the VFS path-resolution
//                                      branch coverage (the goal: >= 80%)
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { buildFuzzers, COV_BIN, TARGETS_C } from "./build.ts";
import { CORPUS, FUZZ_BUILD, TARGETS } from "./corpus.ts";
import { MAX_LEN } from "./run.ts";
import { ROOT, kernelSources } from "../../toolchain/build.ts";

const OUT = path.join(FUZZ_BUILD, "coverage");
/** The path-resolution functions, in kernel/fs/namespace.ts since the VFS was split (what the 80% goal is about). */
export const PATH_RESOLUTION_FILE = "kernel/fs/namespace.ts";
export const PATH_RESOLUTION = ["walk", "splitReversed", "parentOf", "readLinkOf", "crossMounts", "mountedOn", "resolve",
  "resolveParent", "fail", "utf8Length"];

interface FunctionCoverage { cName: string; file: string; name: string; lines: [number, number]; branches: [number, number] }

/** "w2c_kernel_fs_vfs_walk" -> kernel/fs/vfs.ts, "walk" (longest matching module path). */
function asName(cName: string, modules: [string, string][]): { file: string; name: string } {
  const bare = cName.replace(/^w2c_/, "");
  for (const [mangled, file] of modules) {
    if (bare.startsWith(mangled + "_")) return { file, name: bare.slice(mangled.length + 1) };
  }
  return { file: bare.startsWith("_lib_") ? "(AssemblyScript std)" : "(other)", name: bare };
}

function mangledModules(): [string, string][] {
  const files = [...kernelSources(), path.join(ROOT, "tests/fuzz/targets.entry.ts"),
    path.join(ROOT, "tests/host/ext4-node.entry.ts")];
  return files.map((f): [string, string] => {
    const rel = path.relative(ROOT, f);
    return [rel.replace(/\.ts$/, "").replace(/[^A-Za-z0-9]/g, "_"), rel];
  }).sort((a, b) => b[0].length - a[0].length);
}

/** Runs every corpus input once under the coverage build; returns the merged profile. */
function profile(target: string, reuse: boolean): string {
  const existing = path.join(OUT, `${target}.profdata`);
  if (reuse && fs.existsSync(existing)) return existing;
  const dir = path.join(OUT, target);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const corpora = [path.join(FUZZ_BUILD, "work", target), path.join(CORPUS, target)].filter((d) => fs.existsSync(d));
  const r = spawnSync("nice", ["-n", "10", path.join(COV_BIN, target), "-runs=0", `-max_len=${MAX_LEN[target]}`,
    "-timeout=30", ...corpora], { env: { ...process.env, LLVM_PROFILE_FILE: path.join(dir, "%p.profraw") }, cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"], maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`${target}: the coverage run failed:\n${r.stderr.toString().slice(-2000)}`);
  const raws = fs.readdirSync(dir).filter((f) => f.endsWith(".profraw")).map((f) => path.join(dir, f));
  const merged = path.join(OUT, `${target}.profdata`);
  execFileSync("llvm-profdata", ["merge", "-sparse", ...raws, "-o", merged]);
  return merged;
}

/** llvm-cov's per-function table: name, regions, lines, branches. */
function functions(profdata: string, binary: string, modules: [string, string][]): FunctionCoverage[] {
  const text = execFileSync("llvm-cov", ["report", "-show-functions", `-instr-profile=${profdata}`, binary, TARGETS_C],
    { maxBuffer: 256 << 20 }).toString();
  const out: FunctionCoverage[] = [];
  for (const line of text.split("\n")) {
    const m = line.match(/^(?:\S+\.c:)?(w2c_\S+)\s+(\d+)\s+(\d+)\s+\S+\s+(\d+)\s+(\d+)\s+\S+\s+(\d+)\s+(\d+)/);
    if (!m) continue;
    const [, cName, , , lines, linesMissed, branches, branchesMissed] = m;
    const { file, name } = asName(cName, modules);
    out.push({ cName, file, name, lines: [Number(lines) - Number(linesMissed), Number(lines)],
      branches: [Number(branches) - Number(branchesMissed), Number(branches)] });
  }
  return out;
}

/**
 * Branch outcomes of the kernel's own logic in the given functions: llvm-cov counts every branch of
 * the generated C, including two kinds AssemblyScript's runtime adds to every function, which no
 * input can take both ways: the shadow-stack overflow check in each prologue (`__stack_pointer <
 * base` -> abort) and the garbage collector's write barrier (`if (value) __link(...)`, taken one
 * way whenever the stored value is never null). Those are left out here; everything else counts.
 */
function logicBranches(profdata: string, binary: string, cNames: Set<string>): Map<string, [number, number]> {
  const json = JSON.parse(execFileSync("llvm-cov", ["export", "-format=text", "-skip-expansions", `-instr-profile=${profdata}`,
    binary, TARGETS_C], { maxBuffer: 1 << 30 }).toString());
  const source = fs.readFileSync(TARGETS_C, "utf8").split("\n");
  // the stack base every prologue compares __stack_pointer with (a constant of this build)
  const base = /___stack_pointer;\n\s*w2c_i1 = (\d+)u;\n\s*w2c_i0 = \(u32\)\(\(s32\)w2c_i0 < \(s32\)w2c_i1\);/
    .exec(source.join("\n"))?.[1];
  if (!base) throw new Error("coverage: no shadow-stack check found in the generated C");
  const stackCheck = new RegExp(`w2c_i(\\d+) = ${base}u;\\n\\s*w2c_i(\\d+) = \\(u32\\)\\(\\(s32\\)w2c_i\\d+ < \\(s32\\)w2c_i\\1\\);$`);
  const runtimeCheck = (line: number): boolean => {
    const text = source[line - 1] ?? "";
    const before = source.slice(Math.max(0, line - 3), line - 1).join("\n");
    if (/^\s*if \(w2c_i\d+\) \{/.test(text) && stackCheck.test(before)) return true;
    const after = source.slice(line, line + 5).join("\n");
    return /^\s*if \(w2c_[ij]\d+\) \{\s*$/.test(text) && /itcms___link\(/.test(after);
  };
  const out = new Map<string, [number, number]>();
  for (const fn of json.data[0].functions) {
    const cName = String(fn.name).replace(/^.*:/, "");
    if (!cNames.has(cName)) continue;
    const c: [number, number] = [0, 0];
    for (const b of fn.branches) {
      if (runtimeCheck(b[0])) continue;
      c[1] += 2;
      c[0] += (b[4] > 0 ? 1 : 0) + (b[5] > 0 ? 1 : 0);
    }
    out.set(cName, c);
  }
  return out;
}

const pct = (c: [number, number]) => (c[1] ? (100 * c[0] / c[1]).toFixed(1) : "-") + "%";
function sum(list: FunctionCoverage[], key: "lines" | "branches"): [number, number] {
  return list.reduce((a, f) => [a[0] + f[key][0], a[1] + f[key][1]] as [number, number], [0, 0] as [number, number]);
}

export function coverage(targets: string[], build = true, reuse = false): void {
  if (build) buildFuzzers({ coverage: true });
  fs.mkdirSync(OUT, { recursive: true });
  const modules = mangledModules();
  const summary: any = { targets: {}, generatedAt: new Date().toISOString() };
  const merged = new Map<string, FunctionCoverage>();
  for (const target of targets) {
    const profdata = profile(target, reuse);
    const fns = functions(profdata, path.join(COV_BIN, target), modules);
    const kernel = fns.filter((f) => f.file.startsWith("kernel/"));
    const reached = kernel.filter((f) => f.lines[0] > 0);
    const byFile: Record<string, { lines: string; branches: string }> = {};
    for (const file of [...new Set(reached.map((f) => f.file))].sort()) {
      const inFile = kernel.filter((f) => f.file === file && f.lines[0] > 0);
      byFile[file] = { lines: pct(sum(inFile, "lines")), branches: pct(sum(inFile, "branches")) };
    }
    const rows = reached.sort((a, b) => a.file.localeCompare(b.file) || a.name.localeCompare(b.name))
      .map((f) => `${f.file.padEnd(34)} ${f.name.padEnd(48)} lines ${f.lines[0]}/${f.lines[1]}  branches ${f.branches[0]}/${f.branches[1]}`);
    fs.writeFileSync(path.join(OUT, `${target}.txt`), rows.join("\n") + "\n");
    const lines = sum(reached, "lines");
    const branches = sum(reached, "branches");
    summary.targets[target] = { functionsReached: reached.length, kernelFunctions: kernel.length,
      linesOfReachedFunctions: pct(lines), branchesOfReachedFunctions: pct(branches),
      linesOfAllKernel: pct(sum(kernel, "lines")), files: byFile };
    console.log(`${target}: ${reached.length}/${kernel.length} kernel functions reached; in them ${pct(lines)} of lines, ` +
      `${pct(branches)} of branches (${path.relative(ROOT, path.join(OUT, target + ".txt"))})`);
    for (const f of kernel) {
      const prev = merged.get(f.cName);
      if (!prev || f.branches[0] > prev.branches[0]) merged.set(f.cName, f);
    }
  }
  // the union: the kernel object is the same in every binary, so the profiles merge
  if (targets.length > 1) {
    const all = path.join(OUT, "all.profdata");
    execFileSync("llvm-profdata", ["merge", "-sparse", ...targets.map((t) => path.join(OUT, `${t}.profdata`)), "-o", all]);
    merged.clear();
    for (const f of functions(all, path.join(COV_BIN, targets[0]), modules)) if (f.file.startsWith("kernel/")) merged.set(f.cName, f);
    const reached = [...merged.values()].filter((f) => f.lines[0] > 0);
    summary.allTargets = { functionsReached: reached.length, linesOfReachedFunctions: pct(sum(reached, "lines")),
      branchesOfReachedFunctions: pct(sum(reached, "branches")), linesOfAllKernel: pct(sum([...merged.values()], "lines")) };
    console.log(`all targets: ${reached.length} kernel functions reached; in them ${summary.allTargets.linesOfReachedFunctions} ` +
      `of lines, ${summary.allTargets.branchesOfReachedFunctions} of branches`);
  }
  const resolution = [...merged.values()].filter((f) => f.file === PATH_RESOLUTION_FILE && PATH_RESOLUTION.includes(f.name));
  // none found means the functions moved or were renamed: say so instead of printing 0/0
  if (resolution.length == 0) throw new Error(`no path-resolution function of ${PATH_RESOLUTION_FILE} in the coverage: update PATH_RESOLUTION`);
  const vfsBranches = sum(resolution, "branches");
  const vfsLines = sum(resolution, "lines");
  const profdata = path.join(OUT, targets.length > 1 ? "all.profdata" : `${targets[0]}.profdata`);
  const logic = logicBranches(profdata, path.join(COV_BIN, targets[0]), new Set(resolution.map((f) => f.cName)));
  const logicSum = [...logic.values()].reduce((a, c) => [a[0] + c[0], a[1] + c[1]] as [number, number], [0, 0] as [number, number]);
  summary.vfsPathResolution = {
    functions: resolution.map((f) => `${f.name} ${f.branches[0]}/${f.branches[1]} (logic ${logic.get(f.cName)?.join("/") ?? "-"})`),
    branches: pct(vfsBranches), logicBranches: pct(logicSum), lines: pct(vfsLines),
    over: targets.length > 1 ? "all targets merged" : targets[0],
  };
  fs.writeFileSync(path.join(OUT, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
  console.log(`VFS path resolution (${PATH_RESOLUTION_FILE} ${resolution.map((f) => f.name).join(", ")}): ` +
    `branches ${vfsBranches[0]}/${vfsBranches[1]} = ${pct(vfsBranches)}; without AssemblyScript's stack checks and GC ` +
    `write barriers ${logicSum[0]}/${logicSum[1]} = ${pct(logicSum)}; lines ${pct(vfsLines)}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf("--target");
  const target = i > 0 ? process.argv[i + 1] : undefined;
  if (target && !TARGETS.includes(target)) {
    console.error(`error: unknown fuzz target '${target}' (${TARGETS.join(", ")})`);
    process.exit(2);
  }
  // --no-build: the coverage binaries as they are (the ones the last `make fuzz` sources made)
  // --reuse: the profiles of an earlier run (to merge targets profiled one at a time)
  coverage(target ? [target] : TARGETS, !process.argv.includes("--no-build"), process.argv.includes("--reuse"));
}
