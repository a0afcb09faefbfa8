// The LoRA demo in QEMU (issue 15): boots SIS on a snapshot of the system disk, loads the
// domain model (/models/sis-qa.bin), fine-tunes it on /models/finetune-data.json with
// `llmctl finetune --wait` (a kernel task) and evaluates with `llmctl eval --adapter --json`:
// held-out new task (finetune-test.json) base vs adapted, the base task's held-out questions
// (finetune-base.json) base vs adapted, training time per example-step and in total.
//   LORA_BENCH_EPOCHS   epochs (default: the demo's, see DEMO_ARGS in host/lora/demo.ts)
//   LORA_BENCH_EXTRA    more finetune flags (default: the demo's)
//   LORA_BENCH_SECONDS  speed only: train N seconds in the background, read finetune-status, cancel
//   LORA_BENCH_ESP      boot another kernel (an esp.img kept from an earlier build: before/after runs)
//   tsx bench/run.ts lora
// A benchmark reports what it measures; it never fails on a target.
import * as fs from "node:fs";
import { QemuSession } from "../host/qemu.ts";
import type { BenchResult } from "./lib.ts";
import { DEMO_EPOCHS, DEMO_EXTRA } from "../host/lora/demo-config.ts";

/**
 * CPU seconds the QEMU process has used (user + system, /proc/PID/stat): the guest's clock
 * follows the host's wall time, so on a loaded host its seconds include time QEMU waited for
 * a core; CPU seconds do not, and compare builds fairly under load.
 */
export function qemuCpuSeconds(s: QemuSession): number {
  const pid = (s as unknown as { proc: { pid: number } }).proc.pid;
  const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime (fields 14, 15) in clock ticks
}

export async function run(): Promise<BenchResult[]> {
  const epochs = process.env.LORA_BENCH_EPOCHS ?? String(DEMO_EPOCHS);
  const extra = process.env.LORA_BENCH_EXTRA ?? DEMO_EXTRA;
  const seconds = Number(process.env.LORA_BENCH_SECONDS ?? 0);
  const s = await QemuSession.start({ systemDiskSnapshot: true, esp: process.env.LORA_BENCH_ESP || undefined });
  try {
    await s.waitForPrompt();
    const l = await s.run("llmctl load /models/sis-qa.bin --tokenizer /models/sis-qa.tok", 120000);
    if (!/^loaded /m.test(l)) throw new Error(l);
    if (seconds > 0) {
      const cpu0 = qemuCpuSeconds(s);
      const started = await s.run(`llmctl finetune /models/finetune-data.json speed --epochs ${epochs} ${extra}`, 60000);
      if (!/running in the background/.test(started)) throw new Error(started);
      await new Promise((r) => setTimeout(r, seconds * 1000));
      const st = JSON.parse((await s.run("llmctl finetune-status --json", 60000)).trim());
      const cpu = qemuCpuSeconds(s) - cpu0;
      await s.run("llmctl finetune-cancel", 60000);
      return [{ name: "lora_train_speed", unit: "s/example", where: "qemu", n: st.step, mean: st.train_s / st.step,
        qemu_cpu_s_per_example: cpu / st.step, tokens_per_s: st.tokens_per_s, train_s: st.train_s, qemu_cpu_s: cpu,
        esp: process.env.LORA_BENCH_ESP ?? "build/esp.img", extra }];
    }
    const cpu0 = qemuCpuSeconds(s);
    const out = await s.run(`llmctl finetune /models/finetune-data.json demo --epochs ${epochs} ${extra} --wait`, 3600000);
    const cpu = qemuCpuSeconds(s) - cpu0;
    const m = /^finetune demo: (\d+) examples, (\d+) epochs in ([\d.]+) s, loss ([\d.]+) -> ([\d.]+); saved \S+ \((\d+) bytes\)/m.exec(out);
    if (!m) throw new Error(out);
    const examples = Number(m[1]), ep = Number(m[2]), trainS = Number(m[3]);
    const ev = JSON.parse((await s.run("llmctl eval --adapter demo --json", 1800000)).trim());
    return [{
      name: "lora_demo", unit: "s", where: "qemu", mean: trainS, examples, epochs: ep, s_per_example_step: trainS / (examples * ep),
      s_per_100_example_steps: (100 * trainS) / (examples * ep), qemu_cpu_s: cpu, qemu_cpu_s_per_example_step: cpu / (examples * ep), loss_first: Number(m[4]), loss_final: Number(m[5]), adapter_bytes: Number(m[6]),
      new_task_base: `${ev.base.correct}/${ev.base.total}`, new_task_adapted: `${ev.adapted.correct}/${ev.adapted.total}`,
      base_task_base: `${ev.base_task.base}/${ev.base_task.total}`, base_task_adapted: `${ev.base_task.adapted}/${ev.base_task.total}`,
      gain_points: (100 * (ev.adapted.correct - ev.base.correct)) / ev.base.total,
      base_task_lost_points: (100 * (ev.base_task.base - ev.base_task.adapted)) / ev.base_task.total, extra,
    }];
  } finally {
    await s.close();
  }
}
