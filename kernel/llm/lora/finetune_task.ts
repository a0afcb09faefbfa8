// The background kernel task of `llmctl finetune`: trains one example per step (an example
// is the smallest unit: its forward and backward pass share the saved activations) and
// yields, so the shell and other tasks run between examples. When the run is done it writes
// the adapter atomically; a failure, a cancel or a kill keeps nothing.
import { Task, StepResult } from "../../sched/task";
import { queueAnnouncement } from "../../sched/announce";
import { loadedModel } from "../engine";
import { FinetuneJob, JOB_RUNNING, JOB_DONE, JOB_FAILED } from "./finetune";
import { writeFileAtomic } from "./store";
import { fixed } from "../../lib/format";

export class FinetuneTask extends Task {
  job: FinetuneJob;
  path: string;
  finished: bool = false;
  /** --wait: the command prints the result, no announcement. */
  waited: bool = false;
  savedBytes: i32 = 0;

  constructor(job: FinetuneJob, path: string) {
    super("finetune", "llm");
    this.job = job;
    this.path = path;
    this.nice = 5;
  }

  step(): StepResult {
    const j = this.job;
    while (j.step(loadedModel())) {
      if (this.quantumExpired()) return StepResult.Yield;
    }
    if (j.state == JOB_DONE) {
      const bytes = j.fileBytes();
      j.adapter.free();
      const e = writeFileAtomic(this.path, bytes);
      if (e.length > 0) { j.state = JOB_FAILED; j.error = e; }
      else this.savedBytes = bytes.length;
    }
    this.finished = true;
    if (!this.waited) queueAnnouncement(summaryLine(this));
    return this.exit(j.state == JOB_DONE ? 0 : 1);
  }

  onExit(): void {
    if (this.job.state == JOB_RUNNING) this.job.cancel(); // killed: nothing saved
    this.finished = true;
  }

  progress(): string {
    const j = this.job;
    return "epoch " + (j.epoch + 1).toString() + "/" + j.opts.epochs.toString() + ", step " + j.steps.toString() + "/" + j.totalSteps.toString();
  }
}

/** `finetune NAME: N examples, E epochs in X s, loss A -> B` or the error. */
export function summaryLine(t: FinetuneTask): string {
  const j = t.job;
  if (j.state == JOB_DONE) {
    return "finetune " + j.name + ": " + j.data.examples.length.toString() + " examples, " + j.opts.epochs.toString() +
      " epochs in " + fixed(<f64>j.busyUs / 1e6, 2) + " s, loss " + fixed(j.firstLoss, 3) + " -> " + fixed(j.finalLoss, 3) +
      "; saved " + t.path + " (" + t.savedBytes.toString() + " bytes)";
  }
  return "finetune " + j.name + ": " + j.error;
}
