// The tables and JSON lines of an evaluation by episode class (`crashctl eval`, the development
// tool tests/unit/ai/oom-dev.ts and bench/oom.bench.ts print the same): one line per class and
// one "all" line whose ratios are the mean over the classes (each class weighted equally).
// Metric definitions: evaluate.ts.
import { EvalReport, ModelScore, classMean } from "./evaluate";
import { CLASS_NAMES } from "./classes";
import { fixed } from "../../lib/format";

function pct(v: f64): string {
  return isNaN(v) ? "-" : fixed(v * 100, 0) + "%";
}

function frac(a: i32, b: i32): string {
  return b > 0 ? a.toString() + "/" + b.toString() : "-";
}

function className(rep: EvalReport): string {
  return rep.cls >= 0 && rep.cls < CLASS_NAMES.length ? CLASS_NAMES[rep.cls] : "all";
}

type Metric = (s: ModelScore) => f64;

function meanOf(reports: Array<EvalReport>, pick: (r: EvalReport) => ModelScore, metric: Metric): f64 {
  const v = new Array<f64>(0);
  for (let i = 0; i < reports.length; i++) v.push(metric(pick(reports[i])));
  return classMean(v);
}

function pickLearned(r: EvalReport): ModelScore { return r.learned; }
function pickHeuristic(r: EvalReport): ModelScore { return r.heuristic; }
function pickPsi(r: EvalReport): ModelScore { return r.psi; }
function pickPeriodic(r: EvalReport): ModelScore { return r.periodic; }
function pickNoCompact(r: EvalReport): ModelScore { return r.noCompact; }
function pickNoReclaim(r: EvalReport): ModelScore { return r.noReclaim; }
function pickNoTasks(r: EvalReport): ModelScore { return r.noTasks; }

function recallWindow(s: ModelScore): f64 { return s.recallWindow(); }
function recall5s(s: ModelScore): f64 { return s.recall5s(); }
function fpEpisodes(s: ModelScore): f64 { return s.fpEpisodes(); }
function preventedShare(s: ModelScore): f64 { return s.preventedShare(); }
function preventedOfPredicted(s: ModelScore): f64 { return s.preventedOfPredicted(); }

/** The learned model's false-positive share in the same report (the "equal FP" of recallAtFp). */
function learnedFp(r: EvalReport): f64 {
  const fp = r.learned.fpEpisodes();
  return isNaN(fp) ? 0 : fp;
}

/** Best 5-10 s recall of `s` at the learned model's false-positive share, mean over classes. */
function meanRecallAtLearnedFp(reports: Array<EvalReport>, pick: (r: EvalReport) => ModelScore): f64 {
  const v = new Array<f64>(0);
  for (let i = 0; i < reports.length; i++) v.push(pick(reports[i]).recallAtFp(learnedFp(reports[i])));
  return classMean(v);
}

/** Predictors' table: a row per class + "all" (class mean). */
export function predictionRows(reports: Array<EvalReport>): Array<Array<string>> {
  const rows = new Array<Array<string>>(0);
  rows.push(["class", "OOMs", "recall 5-10 s: learned", "heuristic", "psi", "FP episodes: learned", "heuristic", "psi",
    "recall at learned's FP: learned", "heuristic", "psi", "recall >= 5 s (unbounded): learned"]);
  for (let i = 0; i < reports.length; i++) {
    const r = reports[i];
    const fp = learnedFp(r);
    rows.push([className(r), frac(r.oomEpisodes, r.episodes), pct(r.learned.recallWindow()), pct(r.heuristic.recallWindow()),
      pct(r.psi.recallWindow()), pct(r.learned.fpEpisodes()), pct(r.heuristic.fpEpisodes()), pct(r.psi.fpEpisodes()),
      pct(r.learned.recallAtFp(fp)), pct(r.heuristic.recallAtFp(fp)), pct(r.psi.recallAtFp(fp)), pct(r.learned.recall5s())]);
  }
  if (reports.length > 1) {
    let ooms = 0, episodes = 0;
    for (let i = 0; i < reports.length; i++) {
      ooms += reports[i].oomEpisodes;
      episodes += reports[i].episodes;
    }
    rows.push(["all (class mean)", frac(ooms, episodes), pct(meanOf(reports, pickLearned, recallWindow)),
      pct(meanOf(reports, pickHeuristic, recallWindow)), pct(meanOf(reports, pickPsi, recallWindow)),
      pct(meanOf(reports, pickLearned, fpEpisodes)), pct(meanOf(reports, pickHeuristic, fpEpisodes)), pct(meanOf(reports, pickPsi, fpEpisodes)),
      pct(meanRecallAtLearnedFp(reports, pickLearned)), pct(meanRecallAtLearnedFp(reports, pickHeuristic)),
      pct(meanRecallAtLearnedFp(reports, pickPsi)), pct(meanOf(reports, pickLearned, recall5s))]);
  }
  return rows;
}

function remedies(s: ModelScore): string {
  return s.compactions.toString() + "c " + s.reclaims.toString() + "r " + s.throttles.toString() + "t " + s.ends.toString() + "e";
}

/** Prevention table: OOMs prevented (whole acting pass incl. the 10 s grace) per predictor, remedies used. */
export function preventionRows(reports: Array<EvalReport>): Array<Array<string>> {
  const rows = new Array<Array<string>>(0);
  const periodic = reports.length > 0 && reports[0].periodicRun;
  const head = ["class", "prevented of predicted: learned", "heuristic", "psi", "prevented of all OOMs: learned", "heuristic", "psi"];
  if (periodic) head.push("periodic");
  head.push("new OOMs: learned");
  head.push("remedies learned (compact/reclaim/throttle/end)");
  rows.push(head);
  for (let i = 0; i < reports.length; i++) {
    const r = reports[i];
    const row = [className(r), frac(r.learned.preventedPredicted, r.learned.predictedWindow),
      frac(r.heuristic.preventedPredicted, r.heuristic.predictedWindow), frac(r.psi.preventedPredicted, r.psi.predictedWindow),
      frac(r.learned.prevented, r.oomEpisodes), frac(r.heuristic.prevented, r.oomEpisodes), frac(r.psi.prevented, r.oomEpisodes)];
    if (periodic) row.push(frac(r.periodic.prevented, r.oomEpisodes));
    row.push(r.learned.newOoms.toString());
    row.push(remedies(r.learned));
    rows.push(row);
  }
  if (reports.length > 1) {
    const row = ["all (class mean)", pct(meanOf(reports, pickLearned, preventedOfPredicted)), pct(meanOf(reports, pickHeuristic, preventedOfPredicted)),
      pct(meanOf(reports, pickPsi, preventedOfPredicted)), pct(meanOf(reports, pickLearned, preventedShare)),
      pct(meanOf(reports, pickHeuristic, preventedShare)), pct(meanOf(reports, pickPsi, preventedShare))];
    if (periodic) row.push(pct(meanOf(reports, pickPeriodic, preventedShare)));
    let newOoms = 0;
    for (let i = 0; i < reports.length; i++) newOoms += reports[i].learned.newOoms;
    row.push(newOoms.toString());
    row.push("");
    rows.push(row);
  }
  return rows;
}

/** Each remedy's contribution: the learned pass against the same pass with that remedy off. */
export function ablationRows(reports: Array<EvalReport>): Array<Array<string>> {
  const rows = new Array<Array<string>>(0);
  rows.push(["class", "prevented: all remedies", "without compaction", "without reclaim", "without throttle/end"]);
  for (let i = 0; i < reports.length; i++) {
    const r = reports[i];
    rows.push([className(r), frac(r.learned.prevented, r.oomEpisodes), frac(r.noCompact.prevented, r.oomEpisodes),
      frac(r.noReclaim.prevented, r.oomEpisodes), frac(r.noTasks.prevented, r.oomEpisodes)]);
  }
  if (reports.length > 1) {
    rows.push(["all (class mean)", pct(meanOf(reports, pickLearned, preventedShare)), pct(meanOf(reports, pickNoCompact, preventedShare)),
      pct(meanOf(reports, pickNoReclaim, preventedShare)), pct(meanOf(reports, pickNoTasks, preventedShare))]);
  }
  return rows;
}

function num(v: f64): string {
  return isNaN(v) ? "null" : v.toString();
}

/** One JSON line per class and predictor, plus the class means ("class":"all"). */
export function jsonLines(reports: Array<EvalReport>): Array<string> {
  const out = new Array<string>(0);
  for (let i = 0; i < reports.length; i++) {
    const r = reports[i];
    const fp = learnedFp(r);
    const scores = [r.learned, r.heuristic, r.psi];
    if (r.periodicRun) scores.push(r.periodic);
    if (r.ablationRun) {
      scores.push(r.noCompact);
      scores.push(r.noReclaim);
      scores.push(r.noTasks);
    }
    for (let k = 0; k < scores.length; k++) {
      const s = scores[k];
      out.push("{\"name\":\"oom_eval_" + s.name.replaceAll("-", "_") + "\",\"unit\":\"ratio\",\"class\":\"" + className(r) +
        "\",\"episodes\":" + r.episodes.toString() + ",\"first_seed\":" + r.firstSeed.toString() + ",\"seed_stride\":" + r.stride.toString() +
        ",\"threshold\":" + r.threshold.toString() + ",\"oom_episodes\":" + r.oomEpisodes.toString() +
        ",\"recall_5_10s\":" + num(s.recallWindow()) + ",\"recall_5s_unbounded\":" + num(s.recall5s()) +
        ",\"fp_rate_episodes\":" + num(s.fpEpisodes()) + ",\"recall_at_learned_fp\":" + num(s.recallAtFp(fp)) +
        ",\"median_lead_slots\":" + num(s.medianLead()) + ",\"predicted_5_10s\":" + s.predictedWindow.toString() +
        ",\"prevented\":" + s.prevented.toString() + ",\"prevented_share\":" + num(s.preventedShare()) +
        ",\"prevented_of_predicted\":" + num(s.preventedOfPredicted()) + ",\"new_ooms\":" + s.newOoms.toString() +
        ",\"compactions\":" + s.compactions.toString() + ",\"reclaims\":" + s.reclaims.toString() + ",\"throttles\":" + s.throttles.toString() +
        ",\"ends\":" + s.ends.toString() + ",\"protected_chosen\":" + s.protectedChosen.toString() + "}");
    }
  }
  if (reports.length > 1) {
    out.push("{\"name\":\"oom_eval_summary\",\"unit\":\"ratio\",\"class\":\"all\",\"classes\":" + reports.length.toString() +
      ",\"recall_5_10s\":" + num(meanOf(reports, pickLearned, recallWindow)) +
      ",\"fp_rate_episodes\":" + num(meanOf(reports, pickLearned, fpEpisodes)) +
      ",\"prevented_of_predicted\":" + num(meanOf(reports, pickLearned, preventedOfPredicted)) +
      ",\"prevented_share\":" + num(meanOf(reports, pickLearned, preventedShare)) +
      ",\"heuristic_recall_at_learned_fp\":" + num(meanRecallAtLearnedFp(reports, pickHeuristic)) +
      ",\"psi_recall_at_learned_fp\":" + num(meanRecallAtLearnedFp(reports, pickPsi)) +
      ",\"learned_recall_at_learned_fp\":" + num(meanRecallAtLearnedFp(reports, pickLearned)) +
      ",\"heuristic_prevented_share\":" + num(meanOf(reports, pickHeuristic, preventedShare)) +
      ",\"psi_prevented_share\":" + num(meanOf(reports, pickPsi, preventedShare)) + "}");
  }
  return out;
}
