// `make fuzz [TARGET=name] [SECONDS=n]`: builds the fuzzers, then runs each target (all five in
// turn by default) for SECONDS under `nice`, one process: one core at most.
//
//   corpus      build/fuzz/corpus/TARGET (seeds, tests/fuzz/corpus.ts) + build/fuzz/work/TARGET
//               (what the runs found, kept between runs)
//   crashes     build/fuzz/crashes/TARGET/crash-* (or timeout-*, oom-*), each with a .repro file
//               holding the one-line command that reproduces it
//   results     build/fuzz/results/TARGET.json: executions, execs/s, coverage, crashes
//
// Exit status 1 when any target crashed. A hang over TIMEOUT seconds is a crash (libFuzzer -timeout).
// Usage: tsx tests/fuzz/run.ts [--target NAME] [--seconds N]
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { buildFuzzers, BIN } from "./build.ts";
import { CORPUS, FUZZ_BUILD, TARGETS } from "./corpus.ts";
import { ROOT } from "../../toolchain/build.ts";

export const MAX_LEN: Record<string, number> = {
  vfs_path: 16384, shell_parse: 4096, ext4_image: 512 * 1024, jbd2_replay: 64 * 1024, net_rx: 64 * 1024,
};
const TIMEOUT = 10;

export interface FuzzResult {
  target: string;
  seconds: number;
  executions: number;
  execsPerSecond: number;
  coverage: number;
  features: number;
  corpus: number;
  crashes: string[];
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

export function fuzzCommand(target: string, seconds: number): string[] {
  const work = path.join(FUZZ_BUILD, "work", target);
  const crashes = path.join(FUZZ_BUILD, "crashes", target);
  fs.mkdirSync(work, { recursive: true });
  fs.mkdirSync(crashes, { recursive: true });
  return [path.join(BIN, target), `-max_total_time=${seconds}`, `-timeout=${TIMEOUT}`, "-rss_limit_mb=2048",
    `-max_len=${MAX_LEN[target]}`, `-artifact_prefix=${crashes}/`, "-print_final_stats=1", "-reload=0",
    work, path.join(CORPUS, target)];
}

export async function runTarget(target: string, seconds: number, log: (s: string) => void = console.log): Promise<FuzzResult> {
  const crashesDir = path.join(FUZZ_BUILD, "crashes", target);
  const before = new Set(fs.existsSync(crashesDir) ? fs.readdirSync(crashesDir) : []);
  const cmd = fuzzCommand(target, seconds);
  const logFile = path.join(FUZZ_BUILD, "logs", `${target}.log`);
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const out = fs.openSync(logFile, "w");
  const started = Date.now();
  await new Promise<void>((resolve) => {
    const child = spawn("nice", ["-n", "10", ...cmd], { cwd: ROOT, stdio: ["ignore", out, out] });
    child.on("exit", () => resolve());
  });
  fs.closeSync(out);
  const text = fs.readFileSync(logFile, "utf8");
  const stat = (name: string) => Number((text.match(new RegExp(`stat::${name}:\\s+(\\d+)`)) ?? [])[1] ?? 0);
  const progress = [...text.matchAll(/#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/g)].pop();
  const crashes = fs.readdirSync(crashesDir).filter((f) => !before.has(f) && !f.endsWith(".repro"));
  for (const c of crashes) {
    const repro = `${path.relative(ROOT, path.join(BIN, target))} ${path.relative(ROOT, path.join(crashesDir, c))}`;
    const reason = (text.match(/SIS-FUZZ CRASH: .*|ERROR: (AddressSanitizer|libFuzzer): .*/) ?? ["?"])[0];
    fs.writeFileSync(path.join(crashesDir, `${c}.repro`), `${repro}\n# ${reason}\n`);
  }
  const result: FuzzResult = {
    target,
    seconds: (Date.now() - started) / 1000,
    executions: stat("number_of_executed_units"),
    execsPerSecond: stat("average_exec_per_sec"),
    coverage: progress ? Number(progress[2]) : 0,
    features: progress ? Number(progress[3]) : 0,
    corpus: progress ? Number(progress[4]) : 0,
    crashes,
  };
  fs.mkdirSync(path.join(FUZZ_BUILD, "results"), { recursive: true });
  fs.writeFileSync(path.join(FUZZ_BUILD, "results", `${target}.json`), JSON.stringify(result) + "\n");
  log(`${target}: ${result.executions} runs in ${result.seconds.toFixed(0)} s (${result.execsPerSecond} exec/s), ` +
    `cov ${result.coverage} edges, ft ${result.features}, corpus ${result.corpus}, crashes ${crashes.length}`);
  for (const c of crashes) {
    log(`  crash: ${fs.readFileSync(path.join(crashesDir, `${c}.repro`), "utf8").trim().replace("\n", "  ")}`);
  }
  return result;
}

async function main(): Promise<void> {
  const target = arg("--target");
  const seconds = Number(arg("--seconds") ?? 60);
  if (target && !TARGETS.includes(target)) {
    console.error(`error: unknown fuzz target '${target}' (${TARGETS.join(", ")})`);
    process.exit(2);
  }
  buildFuzzers();
  let crashed = false;
  for (const t of target ? [target] : TARGETS) {
    const r = await runTarget(t, seconds);
    if (r.crashes.length > 0) crashed = true;
  }
  process.exit(crashed ? 1 : 0);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`error: ${e.message ?? e}`);
    process.exit(2);
  });
}
