// bootKernel(): how the kernel is put together, in boot order. Every registration that ties
// one subsystem to another (a periodic task of mm/ run by sched/, the AI file hooks served by
// fs/, the learned policy sched/ dispatches through) happens here, so the lower layers never
// import the higher ones (the order is checked by toolchain/layers.ts).
import { boot_info, BootKey, tick_hz } from "./platform/imports";
import { buddyWindowBytes } from "./platform/dma";
import { println } from "./platform/console";
import { counterHz, nowTicks, ticksToUs, markBootComplete } from "./platform/time";
import { totalRamBytes, usableRamBytes } from "./platform/memmap";
import { bytes, fixed } from "./lib/format";
import { SIS_NAME, SIS_VERSION, SIS_ARCH } from "./version";
import { initMemory, memoryReady, managedPages, initMemoryMicros, PAGE_SIZE } from "./mm/pages";
import { pollMemoryStats, SAMPLE_INTERVAL_US } from "./mm/stats";
import { probeVirtioDevices, virtioBlockDevices } from "./drivers/virtio/probe";
import { registerPeriodicTask } from "./sched/periodic";
import { installLearnedPolicy, runnableCount } from "./sched/scheduler";
import { mountRootAtBoot, COMMIT_CHECK_US } from "./fs/mounting";
import { pollFileSystems } from "./fs/vfs";
import { writeTextFile, readTextFile } from "./fs/files";
import { attentionPolicy } from "./ai/attention_policy";
import { setFileWriter } from "./ai/export_sink";
import { setModelFileReader } from "./ai/oom/model_file";
import { startOomPredictor, loadSavedOomModel } from "./ai/oom/predictor";
import { startImpactWindow } from "./ai/impact/window";
import { setOtherRunnableProbe } from "./mm/psi";
import { startNetwork } from "./net/init";
import { startApi, setCommandRunner } from "./net/api";
import { consoleShell } from "./shell/shell";
import { setWallClockFromRtc, wallClockSeconds } from "./fs/clock";
import { storePendingIncident, incidentAreaSector } from "./fs/incidents";
import { findBlockDevice } from "./block/device";
import { VirtioBlk } from "./drivers/virtio/blk";
import { incident_area } from "./platform/imports";

function banner(kmainTicks: u64): void {
  const hz = counterHz();
  println("");
  println(SIS_NAME + " " + SIS_VERSION + " (" + SIS_ARCH + ") - an AI-native kernel in TypeScript");
  println("  memory:   " + bytes(totalRamBytes()) + " RAM found, " + bytes(usableRamBytes()) + " usable, " +
    bytes(<u64>managedPages() * <u64>PAGE_SIZE) + " managed by the page allocator (built in " +
    fixed(<f64>initMemoryMicros() / 1000, 2) + " ms)");
  println("  timer:    counter " + fixed(<f64>hz / 1e6, 2) + " MHz, tick " + tick_hz().toString() + " Hz");
  const entry = boot_info(BootKey.CounterAtEntry);
  const exit = boot_info(BootKey.CounterAtExitBoot);
  println("  firmware: entered SIS at " + fixed(<f64>ticksToUs(entry) / 1000, 1) + " ms, left boot services at " +
    fixed(<f64>ticksToUs(exit) / 1000, 1) + " ms, kmain at " + fixed(<f64>ticksToUs(kmainTicks) / 1000, 1) + " ms");
}

/** Probes the virtio-mmio bus; one banner line lists the disks found. */
function probeDisks(): void {
  const started = nowTicks();
  probeVirtioDevices();
  const us = ticksToUs(nowTicks() - started);
  const disks = virtioBlockDevices();
  let line = "";
  for (let i = 0; i < disks.length; i++) {
    line += (i > 0 ? ", " : "") + disks[i].name + " " + bytes(disks[i].sizeBytes) + (disks[i].readOnly ? " (read-only)" : "");
  }
  println("  disks:    " + (disks.length > 0 ? line : "none found (lsdev shows the virtio-mmio bus)") +
    " (virtio-mmio probed in " + fixed(<f64>us / 1000, 1) + " ms)");
}

/** The OOM predictor's model-file reader (readTextFile with its default size limit). */
function readModelFile(path: string): string | null {
  return readTextFile(path);
}

/** POST /api/shell runs its command line through the console's shell (output captured by net/api.ts). */
function runShellLine(line: string): i32 {
  return consoleShell.execute(line);
}

/** What arch-aarch64/wasm_runtime.c clears before the static data is copied in (SIS_STATIC_CLEAR_BYTES). */
const STATIC_CLEAR_BYTES: u64 = 1 << 20;

/** Brings the kernel up, printing the banner; returns when the shell may start. */
export function bootKernel(kmainTicks: u64): void {
  // static data not cleared would keep a warm reset's stale bytes in its zero gaps (heap corruption)
  if (<u64>__data_end - buddyWindowBytes() > STATIC_CLEAR_BYTES) {
    throw new Error("static data is larger than the 1 MiB wasm_runtime.c clears: raise SIS_STATIC_CLEAR_BYTES");
  }
  installLearnedPolicy(attentionPolicy); // `schedctl transformer on` switches to it (kernel/ai)
  setWallClockFromRtc(); // the PL031 RTC: files get real dates (kernel/platform/rtc.ts)
  initMemory(); // the page allocator, from the UEFI memory map (kernel/mm/pages.ts)
  if (memoryReady()) registerPeriodicTask("memstat", SAMPLE_INTERVAL_US, pollMemoryStats); // the 100 ms sampler (mm/stats.ts)
  startOomPredictor(); // the task "oompredict": OOM prediction every 100 ms (kernel/ai/oom)
  startImpactWindow(); // the task "aimetrics": per-policy scheduler and compaction accounting (autoctl, kernel/ai/impact)
  setOtherRunnableProbe(otherTaskRunnable); // PSI "full" vs "some" (mm/psi.ts): was another task runnable during a stall?
  banner(kmainTicks);
  probeDisks();
  registerPeriodicTask("fscommit", COMMIT_CHECK_US, pollFileSystems); // each journal's 5 s commit timer
  setFileWriter(writeTextFile); // tracectl export --path, crashctl save
  setModelFileReader(readModelFile); // crashctl load, and the saved OOM model at boot
  mountRootAtBoot(); // the system disk (vda) at "/", or a tmpfs root: one banner line, never a panic
  const incident = storePendingIncident(wallClockSeconds()); // the last panic's report into /incidents/
  if (incident.length > 0) println("  " + incident);
  const vda = findBlockDevice("vda"); // the C panic path writes its report there (arch-aarch64/incident.c)
  if (incidentAreaSector >= 0 && vda instanceof VirtioBlk) incident_area((<VirtioBlk>vda).transport.base, <u64>incidentAreaSector);
  println("  network:  " + startNetwork()); // eth0 over virtio-net, DHCP (kernel/net)
  setCommandRunner(runShellLine);
  const api = startApi(); // the HTTP API on port 80 and its token (kernel/net/api.ts)
  if (api.length > 0) println("  api:      " + api);
  const oomModel = loadSavedOomModel(); // /models/oom-model.txt, when `crashctl save` wrote one
  if (oomModel.length > 0) println("  " + oomModel);
  const bootTicks = markBootComplete();
  println("  boot:     prompt at " + fixed(<f64>ticksToUs(bootTicks) / 1000, 1) +
    " ms after power-on. Type 'help' for commands.");
}

/** mm/psi.ts's probe: a task other than the one stalled is waiting for the CPU. */
function otherTaskRunnable(): bool {
  return runnableCount() > 0;
}
