// The attention scheduler (`schedctl transformer on`): the fair policy's accounting, with
// the next task chosen by a learned score.
//
// Embedding of a task (4 numbers, each 0..1):
//   [0] priority     (19 - nice) / 39: 1 = most favoured (nice -20), 0 = nice 19
//   [1] cpu_ratio    decayed CPU time / (CPU + I/O wait + sleep/event wait)   (Task.recent*)
//   [2] io_ratio     decayed I/O wait / the same total
//   [3] warmth       cache warmth: 1 if it was the last task dispatched (no switch needed),
//                    else exp(-(now - lastRunAt) / 5 ms); 0 if it never ran
// The model (kernel/ai/attention.ts) scores each runnable task against the last 20
// dispatches (their embeddings as keys, their outcome vectors as values).
//
// Decision: with two or more runnable tasks the policy runs the task with the smallest
//   vruntime - score * CREDIT        (CREDIT = one target latency of virtual time)
// scoring only the tasks whose vruntime is within CREDIT of the smallest (no other can win;
// when only one is, the fair rule decides and nothing is scored or traced)
// so the model reorders tasks within a bounded fairness window: a task can be passed over
// only while it is less than CREDIT behind, hence no task starves (the score is "used in the
// deterministic decision", as the plan puts it). With one runnable task there is no choice,
// nothing is scored or traced, but the dispatch still enters the history.
//
// Training target (observed after the slice), y in (0, 1]:
//   y = exp(-slice_us / W0),   W0 = 2000 us
// Every step of our tasks does useful work, so what distinguishes dispatches is the wait
// each imposes: every task that waits behind it waits slice_us. A dispatch that does a short
// burst and then blocks or sleeps scores near 1; a full quantum scores low. (The number of
// waiting tasks multiplies this for all candidates of a decision alike, so it does not
// change which task is best; leaving it out of the target keeps the model from learning
// spurious links between a task's features and how busy the queue happened to be.)
// Predicting y from the embedding and recent history teaches the model which tasks run
// briefly: favouring them is shortest-expected-burst-first, which lowers mean wait and
// response time.
//
// Outcome vector pushed into the history: [y, slice/quantum (<= 1), ended blocked on I/O,
// ended sleeping or waiting for an event].
//
// Trace (subsystem "sched"): features = the chosen task's embedding + candidates scored,
// output = its score, action = its task id, confidence = score margin between the best- and
// second-best-scored candidates (how clearly the model separated them), outcome = y.
import { Task, StepResult } from "../sched/task";
import { FairPolicy, DispatchOutcome } from "../sched/fair";
import { AttentionModel, expFast, exp2NegQ30 } from "./attention";
import { registerTraceSubsystem, recordDecision, resolveOutcome } from "./trace";
import { counterHz, ticksToUs } from "../platform/time";
import { trainingReady, ensureTrainer } from "./trainer";

const WARMTH_TAU_US: f64 = 5000;
/** W0 of the training target. */
const TARGET_SCALE_US: f64 = 2000;

export const SCHED_TRACE = registerTraceSubsystem("sched",
  ["priority", "cpu_ratio", "io_ratio", "warmth", "candidates"], "score", "task");

export class AttentionPolicy extends FairPolicy {
  model: AttentionModel = new AttentionModel();
  /** Decisions taken (two or more candidates), and the candidates scored in them. */
  decisions: u64 = 0;
  candidatesScored: u64 = 0;
  private lastTaskId: i32 = 0;
  /** embedFixed()'s result. */
  fixed0: i32 = 0;
  fixed1: i32 = 0;
  fixed2: i32 = 0;
  fixed3: i32 = 0;
  private embedding: StaticArray<f64> = new StaticArray<f64>(4);
  private chosenEmbedding: StaticArray<f64> = new StaticArray<f64>(4);
  private traceFeatures: StaticArray<f64> = new StaticArray<f64>(5);
  private outcomeVector: StaticArray<f64> = new StaticArray<f64>(4);
  /** The task of the pending decision (its outcome is learned in observe()), and its trace id. */
  private pendingTask: Task | null = null;
  private pendingTrace: u64 = 0;
  private pendingDecision: bool = false;
  get name(): string {
    return "attention";
  }

  /** Switched on (`schedctl transformer on`): the ai-trainer task is spawned the first time. */
  activate(): void {
    ensureTrainer();
  }

  get learned(): bool {
    return true;
  }

  /** Fills `out` with the task's embedding at time `now`. */
  embed(task: Task, now: u64, out: StaticArray<f64>): void {
    out[0] = <f64>(19 - task.nice) / 39.0;
    const total = task.recentCpu + task.recentIo + task.recentSleep;
    out[1] = total > 0 ? task.recentCpu / total : 0;
    out[2] = total > 0 ? task.recentIo / total : 0;
    if (task.dispatches == 0) out[3] = 0;
    else if (task.id == this.lastTaskId) out[3] = 1;
    else {
      const ageTicks: u64 = now > task.lastRunAt ? now - task.lastRunAt : 0;
      const ageUs = <f64>ageTicks * usPerTick();
      out[3] = expFast(-ageUs / WARMTH_TAU_US);
    }
  }

  /**
   * embed() in Q16 (x 65536, rounded as score() rounds; the ratios from whole counter
   * ticks when there are at least 65536 of them), into fixed0..fixed3, in integer arithmetic: pick() scores every candidate with
   * it (model.scoreQ16) and computes the f64 embedding only for the task it runs.
   */
  embedFixed(task: Task, now: u64): void {
    this.fixed0 = ((19 - task.nice) * 131072 + 39) / 78; // round((19 - nice) / 39 * 65536)
    let cpu = <u64>task.recentCpu, io = <u64>task.recentIo;
    let total = cpu + io + <u64>task.recentSleep;
    if (total >= (<u64>1 << 46)) { // keep (x << 16) within 64 bits
      const shift = <u64>(18 - clz(total));
      cpu >>= shift;
      io >>= shift;
      total >>= shift;
    }
    if (total >= 65536) {
      const half = total >> 1;
      this.fixed1 = <i32>(((cpu << 16) + half) / total);
      this.fixed2 = <i32>(((io << 16) + half) / total);
    } else {
      // under 65536 ticks in all, dropping the fractions of a tick would show: in f64
      const all = task.recentCpu + task.recentIo + task.recentSleep;
      this.fixed1 = all > 0 ? <i32>Math.round(task.recentCpu / all * 65536) : 0;
      this.fixed2 = all > 0 ? <i32>Math.round(task.recentIo / all * 65536) : 0;
    }
    if (task.dispatches == 0) this.fixed3 = 0;
    else if (task.id == this.lastTaskId) this.fixed3 = 65536;
    else {
      const age: u64 = now > task.lastRunAt ? now - task.lastRunAt : 0;
      warmthConstants();
      // e^(-age / tau) = 2^-t, t = age log2(e) / tau (Q16); 0 once below 2^-17
      this.fixed3 = age >= warmthZeroTicks ? 0 :
        <i32>((exp2NegQ30(<i64>((age * warmthLog2PerTick) >> 32)) + (1 << 13)) >> 14);
    }
  }

  /** The current score of a task (for `schedctl stats`); also stored in task.lastScore. */
  scoreOf(task: Task, now: u64): f64 {
    this.embed(task, now, this.embedding);
    const s = this.model.score(this.embedding);
    task.lastScore = s;
    return s;
  }

  pick(runqueue: Array<Task>, now: u64): i32 {
    this.pendingDecision = false;
    this.lastPickScored = false;
    if (runqueue.length == 1) {
      this.pendingTask = runqueue[0];
      this.embed(runqueue[0], now, this.chosenEmbedding);
      return 0;
    }
    const credit = <f64>this.targetLatencyUs * 1000;
    // Only tasks within CREDIT of the smallest virtual runtime can win (a score is at most
    // 1), so the others are not scored: exact, and it bounds the decision's cost.
    const count = runqueue.length;
    let minV = unchecked(runqueue[0]).vruntime;
    for (let i = 1; i < count; i++) {
      const v = unchecked(runqueue[i]).vruntime;
      if (v < minV) minV = v;
    }
    const window = minV + credit;
    let inWindow = 0;
    let only = 0;
    for (let i = 0; i < count; i++) {
      if (unchecked(runqueue[i]).vruntime <= window) {
        inWindow++;
        only = i;
      }
    }
    if (inWindow == 1) {
      // no score can change the outcome: the fair rule decides, nothing is scored or traced
      this.pendingTask = runqueue[only];
      this.embed(runqueue[only], now, this.chosenEmbedding);
      return only;
    }
    let best = -1;
    let bestKey: f64 = 0;
    let bestScore: f64 = -1;
    let topScore: f64 = -1;
    let secondScore: f64 = -1;
    let scored = 0;
    for (let i = 0; i < count; i++) {
      const t = unchecked(runqueue[i]);
      if (t.vruntime > window) continue;
      this.embedFixed(t, now);
      const s = this.model.scoreQ16(this.fixed0, this.fixed1, this.fixed2, this.fixed3);
      t.lastScore = s;
      scored++;
      if (s > topScore) {
        secondScore = topScore;
        topScore = s;
      } else if (s > secondScore) secondScore = s;
      const key = t.vruntime - s * credit;
      if (best < 0 || key < bestKey || (key == bestKey && t.id < runqueue[best].id)) {
        best = i;
        bestKey = key;
        bestScore = s;
      }
    }
    this.candidatesScored += scored;
    if (secondScore < 0) secondScore = 0; // one candidate in the window: it wins by the fair rule
    const chosen = runqueue[best];
    this.embed(chosen, now, this.chosenEmbedding); // what training and the trace keep
    this.pendingTask = chosen;
    this.pendingDecision = true;
    this.lastPickScored = true;
    this.decisions++;
    memory.copy(changetype<usize>(this.traceFeatures), changetype<usize>(this.chosenEmbedding), 4 << 3);
    this.traceFeatures[4] = <f64>scored;
    const margin = topScore - secondScore;
    this.pendingTrace = recordDecision(SCHED_TRACE, this.model.version, this.traceFeatures, 5, bestScore,
      margin < 0 ? 0 : margin, <i64>chosen.id, now);
    return best;
  }

  /** The training target of a finished slice (see the file comment). */
  static target(outcome: DispatchOutcome): f64 {
    const sliceUs = <f64>ticksToUs(outcome.sliceTicks);
    return Math.exp(-sliceUs / TARGET_SCALE_US);
  }

  observe(task: Task, outcome: DispatchOutcome, now: u64): void {
    this.lastTaskId = task.id;
    if (this.pendingTask !== task) return; // dispatched under another policy
    this.pendingTask = null;
    const y = AttentionPolicy.target(outcome);
    if (this.pendingDecision) {
      resolveOutcome(this.pendingTrace, y);
      if (this.model.addExample(this.chosenEmbedding, y)) trainingReady.signal();
      this.pendingDecision = false;
    }
    const o = this.outcomeVector;
    o[0] = y;
    const frac = outcome.quantumTicks > 0 ? <f64>outcome.sliceTicks / <f64>outcome.quantumTicks : 1;
    o[1] = frac > 1 ? 1 : frac;
    o[2] = outcome.blockedOnIo ? 1 : 0;
    o[3] = outcome.result == StepResult.Sleep || outcome.result == StepResult.WaitEvent ? 1 : 0;
    this.model.pushHistory(this.chosenEmbedding, o);
  }
}

let microsecondsPerTick: f64 = 0;
/** log2(e) / tau per counter tick, in Q48 (Q16 exponent, 32 more bits), and the age from which warmth is 0 in Q16. */
let warmthLog2PerTick: u64 = 0;
let warmthZeroTicks: u64 = 0;

@inline function warmthConstants(): void {
  if (warmthLog2PerTick != 0) return;
  const tauTicks = WARMTH_TAU_US * <f64>counterHz() / 1e6;
  warmthLog2PerTick = <u64>(1.4426950408889634 * 281474976710656.0 / tauTicks); // 2^48
  warmthZeroTicks = <u64>(12.0 * tauTicks); // e^-12 < 2^-17
}

/** Microseconds per counter tick (cached: embed() runs once per candidate of every decision). */
@inline function usPerTick(): f64 {
  if (microsecondsPerTick == 0) microsecondsPerTick = 1e6 / <f64>counterHz();
  return microsecondsPerTick;
}

/** The attention policy; kernel/init.ts installs it as the scheduler's learned policy. */
export const attentionPolicy = new AttentionPolicy();

/** Counter ticks per microsecond (for callers that convert latencies). */
export function ticksPerUs(): f64 {
  return <f64>counterHz() / 1e6;
}
