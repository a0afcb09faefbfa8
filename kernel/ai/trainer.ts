// The "ai-trainer" system task: trains the attention model in the background.
//
// When the attention policy has buffered a batch of decisions (kernel/ai/attention.ts:
// addExample() returned true) it signals `trainingReady`; this task wakes, runs per-example
// SGD slices until its quantum expires (the quantum contract of task.ts; at most 1 ms per
// step, since this is background work), and publishes the
// new weights when the batch is done, then waits for the next batch. It runs at nice 10
// (weight 110 vs 1024 for the workloads' tasks), so under load training takes ~10% of the
// CPU and otherwise uses idle time; its cost is part of the attention scheduler's measured
// results. Spawned the first time the transformer is switched on
// (AttentionPolicy.activate()).
import { Task, StepResult } from "../sched/task";
import { Event } from "../sched/event";
import { spawnTask } from "../sched/scheduler";
import { attentionPolicy } from "./attention_policy";
import { usToTicks } from "../platform/time";

export const trainingReady = new Event("ai-train");
export const TRAINER_NICE: i32 = 10;
/** Longest training step, so a waking interactive task never waits long behind training. */
export const SLICE_US: u64 = 1000;

export class TrainerTask extends Task {
  batches: u64 = 0;

  constructor() {
    super("ai-trainer", "ai");
    this.system = true;
    this.nice = TRAINER_NICE;
  }

  step(): StepResult {
    const model = attentionPolicy.model;
    if (!model.training) return this.waitFor(trainingReady);
    // background work: at most SLICE_US per step even when the quantum is longer
    const cap = this.stepStartedAt + usToTicks(SLICE_US);
    if (model.trainSome(cap < this.sliceDeadline ? cap : this.sliceDeadline)) {
      this.batches++;
      return this.waitFor(trainingReady);
    }
    return StepResult.Yield;
  }

  progress(): string {
    const m = attentionPolicy.model;
    return this.batches.toString() + " batches" + (m.training ? ", training" : ", waiting");
  }
}

let trainer: TrainerTask | null = null;

/** Batches the ai-trainer task has trained and published (0 before it was spawned). */
export function trainerBatches(): u64 {
  return trainer != null ? trainer!.batches : 0;
}

export function ensureTrainer(): void {
  if (trainer != null) return;
  trainer = new TrainerTask();
  spawnTask(trainer!);
}
