// Episode classes: memory workloads modelled on how machines run out of memory (issue 21), built
// from the workload tasks of kernel/mm/stress.ts (profiled episodes). The class of a seed is
// seed % CLASS_COUNT, so any run of consecutive seeds covers every class equally.
//
//   leak   a task ("leaker") allocates at a steady random rate and never frees, on top of a
//          stationary service; OOM by exhaustion when it has eaten the room (or never, when
//          its rate is too low to get there within the episode)
//   ramp   the service's load ramps with a rising allocation rate (target level ~ t^2) while
//          its frees lag behind; OOM when the ramp passes what the pool holds
//   burst  batch tasks ("batch-1..4") allocate together every 6..12 s, hold it for 2..4 s and
//          free it; each burst is larger than the last by a random factor, on a slowly rising
//          service; OOM at the first burst that no longer fits
//   frag   the service's churn with rare 1..4 MiB requests (the workload before issue 21): OOM
//          when such a request meets fragmented memory that light direct compaction cannot fix
//   mixed  a slow leak and smaller bursts on the fragmenting service, each part at random
//
// Every class also has a file cache ("file-cache": reclaimable order-0 pages that grow while
// more than a quarter of the pool is free; direct and proactive reclaim shrink it through a
// registered shrinker) and a kernel worker ("kworker": a few unmovable pages held all along).
// kworker and file-cache are protected: the predictor never ends or throttles them (the cache is
// reclaimed instead).
//
// Remedies the predictor may apply to the tasks (episodes.ts, actions.ts): throttle (service:
// its allocations no longer outpace its frees; leaker: a tenth of its rate; a batch task: half
// of its burst) and end (all its memory is freed and it makes no more requests).
// Parameter ranges were set by looking at training seeds only.
import {
  StressProfile, stressAllocFor, stressFreeTask, stressTaskPages, stressThrottle, stressActive, STRESS_TASKS,
} from "../../mm/stress";
import { registerShrinker } from "../../mm/reclaim";
import { freePagesNow } from "../../mm/pages";
import { Random } from "../../lib/random";

export const CLASS_LEAK: i32 = 0;
export const CLASS_RAMP: i32 = 1;
export const CLASS_BURST: i32 = 2;
export const CLASS_FRAG: i32 = 3;
export const CLASS_MIXED: i32 = 4;
export const CLASS_COUNT: i32 = 5;
export const CLASS_NAMES: Array<string> = ["leak", "ramp", "burst", "frag", "mixed"];

export const TASK_SERVICE: i32 = 0;
export const TASK_LEAKER: i32 = 1;
export const TASK_BATCH_FIRST: i32 = 2;
export const BATCH_TASKS: i32 = 4;
export const TASK_CACHE: i32 = 6;
export const TASK_KWORKER: i32 = 7;
export const TASK_NAMES: Array<string> = ["service", "leaker", "batch-1", "batch-2", "batch-3", "batch-4", "file-cache", "kworker"];

/** Never ended or throttled by the predictor. */
export function taskProtected(task: i32): bool {
  return task == TASK_KWORKER || task == TASK_CACHE || task < 0 || task >= STRESS_TASKS;
}

export function classOfSeed(seed: u64): i32 {
  return <i32>(seed % <u64>CLASS_COUNT);
}

export function className(c: i32): string {
  return c >= 0 && c < CLASS_COUNT ? CLASS_NAMES[c] : "?";
}

/** Class index of `name`, -1 when unknown. */
export function classByName(name: string): i32 {
  for (let i = 0; i < CLASS_COUNT; i++) if (CLASS_NAMES[i] == name) return i;
  return -1;
}

/** The first seed >= first of class c. */
export function firstSeedOfClass(first: u64, c: i32): u64 {
  let s = first;
  while (classOfSeed(s) != c) s++;
  return s;
}

export class EpisodePlan {
  cls: i32 = CLASS_FRAG;
  profile: StressProfile = new StressProfile();
  /** Leak: pages per slot from leakStart on (0: none). */
  leakRate: f64 = 0;
  leakStart: i32 = 0;
  /** Bursts: every burstPeriod slots from burstFirst; burstTasks tasks share burstPages pages. */
  burstPeriod: i32 = 0;
  burstFirst: i32 = 0;
  burstTasks: i32 = 0;
  burstPages: f64 = 0;
  burstGrowth: f64 = 1;
  burstHold: i32 = 30;
  /** Slots a burst's allocations are spread over. */
  burstSpread: i32 = 5;
  cacheMaxPages: u32 = 0;
  kworkerPages: u32 = 0;
}

/** What the driver and the remedies changed during one episode. */
export class EpisodeState {
  leakCarry: f64 = 0;
  leakThrottled: bool = false;
  serviceThrottled: bool = false;
  /** Bit t: task t ended / throttled. */
  endedMask: u32 = 0;
  throttledMask: u32 = 0;
  burstIndex: i32 = -1;
  burstStart: i32 = -1;
  burstCarry: StaticArray<f64> = new StaticArray<f64>(BATCH_TASKS);
  /** Slot the current burst's memory is freed (-1: none held). */
  burstRelease: i32 = -1;

  reset(): void {
    this.leakCarry = 0;
    this.leakThrottled = false;
    this.serviceThrottled = false;
    this.endedMask = 0;
    this.throttledMask = 0;
    this.burstIndex = -1;
    this.burstStart = -1;
    this.burstRelease = -1;
    for (let i = 0; i < BATCH_TASKS; i++) this.burstCarry[i] = 0;
  }

  ended(task: i32): bool {
    return (this.endedMask & (<u32>1 << task)) != 0;
  }

  throttled(task: i32): bool {
    return (this.throttledMask & (<u32>1 << task)) != 0;
  }
}

const POOL: f64 = 8192;

function serviceProfile(rng: Random, seed: u64, p: StressProfile, level: f64, largePer100k: i32): void {
  p.poolPages = <u32>POOL;
  p.opsPerStep = 32;
  p.startLevel = level;
  p.endLevel = level;
  p.rampSteps = 1;
  p.burstAmplitude = rng.uniform(0, 0.04);
  p.burstPeriod = 60 + <i32>rng.below(140);
  p.largePer100k = largePer100k;
  p.minLargeOrder = 8;
  p.maxOrder = 10;
  p.largeUnmovablePercent = <i32>rng.below(10);
  p.unmovablePercent = 1 + <i32>rng.below(8);
  const kmallocPercent = 3 + <i32>rng.below(10);
  p.movablePercent = 100 - p.unmovablePercent - kmallocPercent;
  p.unmovableSparePercent = 0;
  p.requester = "oom-episode " + seed.toString();
}

/** The workload of episode `seed`. */
export function planEpisode(seed: u64): EpisodePlan {
  const rng = Random.derive(seed, 0x0c1a);
  const plan = new EpisodePlan();
  const c = classOfSeed(seed);
  plan.cls = c;
  const p = plan.profile;
  plan.kworkerPages = <u32>(POOL * rng.uniform(0.01, 0.03));
  plan.cacheMaxPages = <u32>(POOL * rng.uniform(0.05, 0.2));
  const bad = rng.nextFloat() < 0.55; // the class's parameters aim at an OOM in the episode
  if (c == CLASS_LEAK) {
    const level = rng.uniform(0.25, 0.45);
    serviceProfile(rng, seed, p, level, <i32>rng.below(40));
    plan.leakStart = <i32>rng.below(100);
    const room = POOL * (1 - level - 0.03);
    plan.leakRate = bad ? room / rng.uniform(120, 480) : room / rng.uniform(1100, 3000);
  } else if (c == CLASS_RAMP) {
    serviceProfile(rng, seed, p, rng.uniform(0.2, 0.35), <i32>rng.below(40));
    p.endLevel = bad ? rng.uniform(1.0, 1.3) : rng.uniform(0.45, 0.65);
    p.rampSteps = 300 + <i32>rng.below(300);
    p.rampPower = 2.0;
  } else if (c == CLASS_BURST) {
    const level = rng.uniform(0.2, 0.35);
    serviceProfile(rng, seed, p, level, <i32>rng.below(40));
    p.endLevel = level + rng.uniform(0, 0.12);
    p.rampSteps = 600;
    plan.burstPeriod = 60 + <i32>rng.below(60);
    plan.burstFirst = 20 + <i32>rng.below(<u64>plan.burstPeriod);
    plan.burstTasks = 2 + <i32>rng.below(3);
    plan.burstHold = 20 + <i32>rng.below(20);
    plan.burstPages = POOL * rng.uniform(0.15, 0.3);
    plan.burstGrowth = bad ? rng.uniform(1.12, 1.35) : 1.0;
  } else if (c == CLASS_FRAG) {
    // the pre-issue-21 episodes that stay below the pool (their OOMs are fragmentation)
    serviceProfile(rng, seed, p, rng.uniform(0.2, 0.4), 50 + <i32>rng.below(350));
    p.endLevel = rng.uniform(0.4, 0.7);
    p.rampSteps = 150 + <i32>rng.below(400);
    p.burstAmplitude = rng.uniform(0, 0.15);
  } else {
    const level = rng.uniform(0.2, 0.35);
    serviceProfile(rng, seed, p, level, 20 + <i32>rng.below(200));
    if (rng.nextFloat() < 0.7) {
      plan.leakStart = <i32>rng.below(200);
      const room = POOL * (1 - level - 0.15);
      plan.leakRate = bad ? room / rng.uniform(200, 500) : room / rng.uniform(1500, 4000);
    }
    if (rng.nextFloat() < 0.6) {
      plan.burstPeriod = 70 + <i32>rng.below(60);
      plan.burstFirst = 20 + <i32>rng.below(<u64>plan.burstPeriod);
      plan.burstTasks = 2 + <i32>rng.below(2);
      plan.burstHold = 20 + <i32>rng.below(20);
      plan.burstPages = POOL * rng.uniform(0.08, 0.18);
      plan.burstGrowth = rng.uniform(1.0, 1.2);
    }
  }
  return plan;
}

let shrinkerRegistered = false;

function shrinkEpisodeCache(pages: u32): u32 {
  return stressActive() ? stressFreeTask(<u32>TASK_CACHE, pages) : 0;
}

function episodeCachePages(): u32 {
  return stressActive() ? stressTaskPages(<u32>TASK_CACHE) : 0;
}

/** Registers the episode file cache with reclaim.ts (once). */
export function registerEpisodeCache(): void {
  if (shrinkerRegistered) return;
  shrinkerRegistered = true;
  registerShrinker("episode file cache", shrinkEpisodeCache, episodeCachePages);
}

/** Order of a small request from r (0..2: P(k) = 2^-(k+1), order 2 the rest). */
function smallOrder(r: u32): u32 {
  return r & 1 ? 0 : (r & 2 ? 1 : 2);
}

/**
 * The tasks other than the service, for slot `slot` (after the service's step). Returns false when a
 * request failed: an OOM event (the episode is over).
 */
export function driveTasks(plan: EpisodePlan, st: EpisodeState, slot: i32, rng: Random): bool {
  // kworker: its pages in the first 10 slots, then held
  if (slot < 10 && plan.kworkerPages > 0) {
    const n = plan.kworkerPages / 10;
    for (let i: u32 = 0; i < n; i++) if (!stressAllocFor(<u32>TASK_KWORKER, 0, false, 0)) return false;
  }
  // file cache: grows while more than a quarter of the pool is free
  if (stressTaskPages(<u32>TASK_CACHE) < plan.cacheMaxPages && <f64>freePagesNow() > POOL * 0.25) {
    for (let i = 0; i < 16; i++) if (!stressAllocFor(<u32>TASK_CACHE, 0, true, 0)) return false;
  }
  // leak
  if (plan.leakRate > 0 && slot >= plan.leakStart && !st.ended(TASK_LEAKER)) {
    st.leakCarry += st.throttled(TASK_LEAKER) ? plan.leakRate * 0.1 : plan.leakRate;
    while (st.leakCarry >= 1) {
      const r = rng.next();
      const order = smallOrder(<u32>r);
      const pages = <f64>(<u32>1 << order);
      const movable = (r >> 8) % 10 < 8;
      if (!stressAllocFor(<u32>TASK_LEAKER, order, movable, 0)) return false;
      st.leakCarry -= pages;
    }
  }
  // bursts
  if (plan.burstPeriod > 0) {
    if (st.burstRelease >= 0 && slot >= st.burstRelease) {
      for (let b = 0; b < plan.burstTasks; b++) stressFreeTask(<u32>(TASK_BATCH_FIRST + b), 0xffffffff);
      st.burstRelease = -1;
    }
    if (slot >= plan.burstFirst && (slot - plan.burstFirst) % plan.burstPeriod == 0) {
      st.burstIndex++;
      st.burstStart = slot;
      for (let b = 0; b < BATCH_TASKS; b++) st.burstCarry[b] = 0;
    }
    if (st.burstStart >= 0 && slot - st.burstStart < plan.burstSpread) {
      const total = plan.burstPages * Math.pow(plan.burstGrowth, <f64>st.burstIndex);
      const perSlot = total / <f64>plan.burstTasks / <f64>plan.burstSpread;
      for (let b = 0; b < plan.burstTasks; b++) {
        const task = TASK_BATCH_FIRST + b;
        if (st.ended(task)) continue;
        st.burstCarry[b] += st.throttled(task) ? perSlot * 0.5 : perSlot;
        while (st.burstCarry[b] >= 1) {
          const order = smallOrder(<u32>rng.next());
          if (!stressAllocFor(<u32>task, order, true, 0)) return false;
          st.burstCarry[b] -= <f64>(<u32>1 << order);
        }
      }
      if (slot - st.burstStart == plan.burstSpread - 1) st.burstRelease = slot + plan.burstHold;
    }
  }
  return true;
}

/** Throttles `task` (see the header); false for a protected task or one already ended. */
export function throttleTask(st: EpisodeState, task: i32): bool {
  if (taskProtected(task) || st.ended(task)) return false;
  st.throttledMask |= <u32>1 << task;
  if (task == TASK_SERVICE) stressThrottle(true);
  return true;
}

/** Ends `task`: frees all its memory, no more requests; returns the pages freed (0 for a protected task). */
export function endTask(st: EpisodeState, task: i32): u32 {
  if (taskProtected(task) || st.ended(task)) return 0;
  st.endedMask |= <u32>1 << task;
  return stressFreeTask(<u32>task, 0xffffffff);
}
