// Test entry for kernel/ai/oom: features, models, training, evaluation, the live predictor
// and the crashctl command, over a 64 MiB page-frame window (memoryBase = 64 MiB).
import { initMemory } from "../../../kernel/mm/pages";
import { runEpisode, EpisodeOptions, EpisodeResult, MODEL_NONE, MODEL_HEURISTIC, MODEL_LEARNED } from "../../../kernel/ai/oom/episodes";
import { OomModel } from "../../../kernel/ai/oom/model";
import { trainModel } from "../../../kernel/ai/oom/train";
import { evaluateOnSeeds, EvalReport, ModelScore } from "../../../kernel/ai/oom/evaluate";
import { ActionPolicy } from "../../../kernel/ai/oom/actions";

export function memInit(): void { initMemory(); }
const learned = new OomModel();

export function train(first: u64, count: i32, epochs: i32): string {
  const r = trainModel(learned, first, count, epochs);
  return [r.error.toString(), r.episodes.toString(), r.oomEpisodes.toString(), r.rows.toString(), r.positives.toString(),
    learned.epochLoss.join(" "), r.collectUs.toString(), r.fitUs.toString()].join(",");
}

function scoreLine(s: ModelScore): string {
  return s.name + " recall5s " + s.recall5s().toString().slice(0, 5) + " recallWin " + s.recallWindow().toString().slice(0, 5) +
    " fpEp " + s.fpEpisodes().toString().slice(0, 5) + " fpSamp " + s.fpSamples().toString().slice(0, 6) +
    " precAlarm " + s.precisionAlarms().toString().slice(0, 5) + " precSamp " + s.precisionSamples().toString().slice(0, 5) +
    " lead " + s.medianLead().toString() + " | onOoms " + s.onOoms.toString() + " prevented " + s.prevented.toString() +
    " (of predicted " + s.preventedPredicted.toString() + "/" + s.predicted5s.toString() + ") new " + s.newOoms.toString() +
    " compactions " + s.compactions.toString() + " predictedCompactable " + s.predictedCompactable.toString();
}

export function evalDev(first: u64, count: i32, threshold: f64, cooldown: i32, periodic: bool): string {
  const p = new ActionPolicy();
  p.actionThreshold = threshold;
  p.cooldownSlots = cooldown;
  const r = evaluateOnSeeds(first, count, learned, p, periodic, false);
  if (r.error < 0) return "error " + r.error.toString();
  return "episodes " + r.episodes.toString() + " ooms " + r.oomEpisodes.toString() + " frag " + r.fragmentationOoms.toString() +
    " compactable " + r.compactableOoms.toString() + " dirty " + r.dirtyEpisodes.toString() + " total ms " + (r.totalUs / 1000).toString() + "\n" +
    scoreLine(r.heuristic) + "\n" + scoreLine(r.learned) + (periodic ? "\n" + scoreLine(r.periodic) : "");
}
