// What /metrics says about the kernel: memory, block devices and caches, file systems, the
// scheduler (with decision-latency histograms of both policies), the decision trace of every
// AI subsystem, the OOM predictor, and the network itself. Read-only: collecting changes
// nothing but the histograms' "seen" marks.
import { MetricsWriter, label, RingHistogram } from "./metrics";
import { managedPages, freePagesNow, PAGE_SIZE } from "../mm/pages";
import { fragmentationRatio, allocationFailures, totalAllocations, largestFreeBlockPages } from "../mm/stats";
import { slabTotalBytesInUse, slabTotalPages } from "../mm/slab";
import { blockDevices, SECTOR_SIZE } from "../block/device";
import { blockCaches } from "../block/cache";
import { mountTable, statfs } from "../fs/vfs";
import { FsStats } from "../fs/types";
import { counters as schedCounters, liveTasks, runnableCount, fairDecisionLatency, attentionDecisionLatency, attentionEnabled } from "../sched/scheduler";
import { LatencyRing } from "../sched/latency";
import { traceCount, traceSubsystemCount, subsystemName, subsystemRecorded, subsystemResolved, subsystemLostUnresolved } from "../ai/trace";
import { predictor } from "../ai/oom/predictor";
import { ticksToNs } from "../platform/time";
import { writeImpactMetrics } from "./impact_metrics";

const DECISION_BOUNDS_US: StaticArray<f64> = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
const fairHistogram = new RingHistogram(DECISION_BOUNDS_US);
const attentionHistogram = new RingHistogram(DECISION_BOUNDS_US);

/** Adds the samples `ring` recorded since the last scrape to `h` (microseconds). */
function catchUp(h: RingHistogram, ring: LatencyRing): void {
  const fresh = ring.total - h.seenTotal;
  const available = <u64>ring.count;
  const take = fresh < available ? fresh : available;
  if (fresh > take) h.missed += fresh - take;
  for (let k = <i32>take - 1; k >= 0; k--) h.observe(<f64>ticksToNs(ring.recent(k)) / 1000.0);
  h.seenTotal = ring.total;
}

export function writeKernelMetrics(w: MetricsWriter): void {
  // memory
  w.gauge("sis_memory_managed_bytes", "RAM managed by the page allocator", <f64>managedPages() * <f64>PAGE_SIZE);
  w.gauge("sis_memory_free_bytes", "Free RAM in the page allocator", <f64>freePagesNow() * <f64>PAGE_SIZE);
  w.gauge("sis_memory_largest_free_block_bytes", "Largest free buddy block", <f64>largestFreeBlockPages() * <f64>PAGE_SIZE);
  w.gauge("sis_memory_fragmentation_ratio", "1 - free pages in maximal blocks / free pages", fragmentationRatio());
  w.gauge("sis_memory_slab_bytes", "Bytes in use in slab objects", <f64>slabTotalBytesInUse());
  w.gauge("sis_memory_slab_pages", "Pages held by slabs", <f64>slabTotalPages());
  w.counter("sis_memory_allocations_total", "Page and slab allocations since boot", <f64>totalAllocations());
  w.counter("sis_memory_allocation_failures_total", "Allocations that failed since boot", <f64>allocationFailures());
  // block devices
  const devs = blockDevices();
  w.family("sis_block_reads_total", "counter", "Read requests completed per block device");
  for (let i = 0; i < devs.length; i++) w.sample("sis_block_reads_total", label("device", devs[i].name), <f64>devs[i].stats.reads);
  w.family("sis_block_writes_total", "counter", "Write requests completed per block device");
  for (let i = 0; i < devs.length; i++) w.sample("sis_block_writes_total", label("device", devs[i].name), <f64>devs[i].stats.writes);
  w.family("sis_block_read_bytes_total", "counter", "Bytes read per block device");
  for (let i = 0; i < devs.length; i++) {
    w.sample("sis_block_read_bytes_total", label("device", devs[i].name), <f64>devs[i].stats.sectorsRead * <f64>SECTOR_SIZE);
  }
  w.family("sis_block_written_bytes_total", "counter", "Bytes written per block device");
  for (let i = 0; i < devs.length; i++) {
    w.sample("sis_block_written_bytes_total", label("device", devs[i].name), <f64>devs[i].stats.sectorsWritten * <f64>SECTOR_SIZE);
  }
  w.family("sis_block_errors_total", "counter", "Failed requests per block device");
  for (let i = 0; i < devs.length; i++) w.sample("sis_block_errors_total", label("device", devs[i].name), <f64>devs[i].stats.errors);
  const caches = blockCaches();
  w.family("sis_block_cache_hits_total", "counter", "Buffer cache hits per device");
  for (let i = 0; i < caches.length; i++) w.sample("sis_block_cache_hits_total", label("device", caches[i].device.name), <f64>caches[i].stats.hits);
  w.family("sis_block_cache_misses_total", "counter", "Buffer cache misses per device");
  for (let i = 0; i < caches.length; i++) w.sample("sis_block_cache_misses_total", label("device", caches[i].device.name), <f64>caches[i].stats.misses);
  // file systems
  const mounts = mountTable();
  const st = new FsStats();
  w.family("sis_fs_size_bytes", "gauge", "Size of each mounted file system");
  const free = new Array<f64>(0);
  const inodes = new Array<f64>(0);
  for (let i = 0; i < mounts.length; i++) {
    const ok = statfs(mounts[i].path, st) >= 0;
    w.sample("sis_fs_size_bytes", label("mount", mounts[i].path), ok ? <f64>st.totalBlocks * <f64>st.blockSize : 0);
    free.push(ok ? <f64>st.freeBlocks * <f64>st.blockSize : 0);
    inodes.push(ok ? <f64>st.freeInodes : 0);
  }
  w.family("sis_fs_free_bytes", "gauge", "Free bytes of each mounted file system");
  for (let i = 0; i < mounts.length; i++) w.sample("sis_fs_free_bytes", label("mount", mounts[i].path), free[i]);
  w.family("sis_fs_free_inodes", "gauge", "Free inodes of each mounted file system");
  for (let i = 0; i < mounts.length; i++) w.sample("sis_fs_free_inodes", label("mount", mounts[i].path), inodes[i]);
  // scheduler
  w.gauge("sis_sched_tasks", "Live kernel tasks", <f64>liveTasks().length);
  w.gauge("sis_sched_runnable_tasks", "Runnable kernel tasks", <f64>runnableCount());
  w.gauge("sis_sched_attention_enabled", "1 when the attention policy picks tasks", attentionEnabled() ? 1 : 0);
  w.counter("sis_sched_dispatches_total", "Task slices run", <f64>schedCounters.dispatches);
  w.counter("sis_sched_context_switches_total", "Dispatches of a different task than the previous one", <f64>schedCounters.contextSwitches);
  w.counter("sis_sched_tasks_spawned_total", "Tasks created", <f64>schedCounters.spawned);
  catchUp(fairHistogram, fairDecisionLatency);
  catchUp(attentionHistogram, attentionDecisionLatency);
  w.family("sis_sched_decision_latency_microseconds", "histogram", "Time of one scheduling decision (pick among two or more tasks)");
  w.histogramSamples("sis_sched_decision_latency_microseconds", label("policy", "fair"), DECISION_BOUNDS_US, fairHistogram.counts, fairHistogram.sum);
  w.histogramSamples("sis_sched_decision_latency_microseconds", label("policy", "attention"), DECISION_BOUNDS_US,
    attentionHistogram.counts, attentionHistogram.sum);
  // the decision trace: every AI subsystem
  w.gauge("sis_trace_decisions_kept", "Decisions held in the trace ring", <f64>traceCount());
  const n = traceSubsystemCount();
  w.family("sis_ai_decisions_total", "counter", "Decisions recorded per AI subsystem");
  for (let i = 0; i < n; i++) w.sample("sis_ai_decisions_total", label("subsystem", subsystemName(i)), <f64>subsystemRecorded(i));
  w.family("sis_ai_decisions_resolved_total", "counter", "Decisions whose outcome was observed, per AI subsystem");
  for (let i = 0; i < n; i++) w.sample("sis_ai_decisions_resolved_total", label("subsystem", subsystemName(i)), <f64>subsystemResolved(i));
  w.family("sis_ai_decisions_lost_total", "counter", "Decisions overwritten before their outcome, per AI subsystem");
  for (let i = 0; i < n; i++) w.sample("sis_ai_decisions_lost_total", label("subsystem", subsystemName(i)), <f64>subsystemLostUnresolved(i));
  // OOM predictor
  w.counter("sis_oom_predictions_total", "OOM predictions made", <f64>predictor.predictions);
  w.counter("sis_oom_warnings_total", "OOM warnings raised", <f64>predictor.warnings);
  w.counter("sis_oom_compactions_total", "Compactions the predictor started", <f64>predictor.compactions);
  w.gauge("sis_oom_confidence", "Confidence of the latest prediction", predictor.confidence);
  // the AI impact report (autoctl ai-metrics)
  writeImpactMetrics(w);
}
