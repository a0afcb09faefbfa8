// A live OOM episode (`crashctl run`): the workload of episode `seed` (all its class's tasks,
// classes.ts) run as a
// kernel task in real time, one step per period (default 100 ms, one step per sample slot as
// in evaluation), while the shell keeps answering. The real 100 ms sampler ("memstat") and the
// live predictor ("oompredict") watch it like any other memory user; the predictor may warn
// and compact.
//
// The task ends when the workload's request fails after direct reclaim (an OOM event,
// logged by kernel/mm/reclaim.ts: the workload fails cleanly, its memory is freed, the kernel
// keeps running), after MAX_SLOTS steps, or when killed (`kill ID`). Its summary is announced
// (or printed by `crashctl run --wait`).
import { Task, StepResult } from "../../sched/task";
import { spawnTask } from "../../sched/scheduler";
import { queueAnnouncement } from "../../sched/announce";
import { nowTicks, usToTicks } from "../../platform/time";
import {
  stressStartProfile, stressStepTask0, stressBeginStep, stressEndStep, stressStop, stressOom, stressActive, stress,
} from "../../mm/stress";
import { MAX_SLOTS } from "./episodes";
import { planEpisode, EpisodePlan, EpisodeState, driveTasks, registerEpisodeCache, className } from "./classes";
import { Random } from "../../lib/random";

export class OomEpisodeTask extends Task {
  steps: i32 = 0;
  oomStep: i32 = -1;
  oomOrder: u32 = 0;
  oomFragmented: bool = false;
  finished: bool = false;
  waited: bool = false;
  private periodTicks: u64;
  private nextStep: u64 = 0;
  /** The tasks' state; the live predictor throttles and ends tasks here (predictor.ts). */
  episodeState: EpisodeState = new EpisodeState();
  /** Predictor slot each task was throttled at (-1: not). */
  throttledAt: StaticArray<i64> = new StaticArray<i64>(8);
  /** What the predictor did to this episode's tasks, for the summary line. */
  remedies: Array<string> = new Array<string>(0);
  private rng: Random;

  constructor(public seed: u64, public periodUs: u64, public plan: EpisodePlan) {
    super("oom-episode", "oom");
    this.periodTicks = usToTicks(periodUs);
    this.rng = Random.derive(seed, 0x7a5c); // as episodes.ts: the same requests
    for (let t = 0; t < 8; t++) this.throttledAt[t] = -1;
  }

  step(): StepResult {
    // one slot of every task of the episode's class (classes.ts), as in evaluation
    stressBeginStep();
    stressStepTask0();
    if (!stressOom()) driveTasks(this.plan, this.episodeState, this.steps, this.rng);
    stressEndStep();
    if (stressOom()) {
      this.oomStep = this.steps;
      this.oomOrder = stress.oomOrder;
      this.oomFragmented = stress.oomFragmented;
      return this.exit(1);
    }
    this.steps++;
    if (this.steps >= MAX_SLOTS) return this.exit(0);
    const now = nowTicks();
    this.nextStep = (this.nextStep == 0 ? now : this.nextStep) + this.periodTicks;
    if (this.nextStep <= now) this.nextStep = now + this.periodTicks;
    return this.sleepUntil(this.nextStep);
  }

  onExit(): void {
    if (stressActive()) stressStop(false);
    this.finished = true;
    if (!this.waited) queueAnnouncement(this.summary());
  }

  summary(): string {
    return this.summaryHead() + (this.remedies.length > 0 ? "; the OOM predictor " + this.remedies.join(", ") : "");
  }

  private summaryHead(): string {
    const head = "oom episode " + this.seed.toString() + " (" + className(this.plan.cls) + "): ";
    if (this.oomStep >= 0) {
      return head + "OOM at step " + this.oomStep.toString() + " (an order-" + this.oomOrder.toString() + " request failed after direct reclaim, " +
        (this.oomFragmented ? "fragmentation" : "exhaustion") + "); the workload failed cleanly, its memory is freed, the kernel keeps running";
    }
    if (this.killed) return head + "killed after " + this.steps.toString() + " steps; its memory is freed";
    return head + "no OOM in " + this.steps.toString() + " steps; its memory is freed";
  }

  progress(): string {
    return "step " + this.steps.toString() + "/" + MAX_SLOTS.toString() + ", seed " + this.seed.toString();
  }
}

export let liveEpisode: OomEpisodeTask | null = null;

/** Starts the live episode; returns the task, or null with `startError` set (-EBUSY, -ENOMEM). */
export let startError: i32 = 0;
export function startLiveEpisode(seed: u64, periodUs: u64): OomEpisodeTask | null {
  const plan = planEpisode(seed);
  registerEpisodeCache();
  startError = stressStartProfile(seed, plan.profile);
  if (startError < 0) return null;
  const t = new OomEpisodeTask(seed, periodUs, plan);
  liveEpisode = t;
  spawnTask(t);
  return t;
}
