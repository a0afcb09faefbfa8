// crashctl: the OOM predictor (kernel/ai/oom) from the shell: its state, its decisions and
// their outcomes, thresholds, the model in use, training, evaluation on recorded episodes,
// saving and loading the learned model, and a live OOM episode.
import { registerFamily, registerSubcommand } from "../families";
import { Options, parseDecimal, noArgs } from "../args";
import { printable } from "../shell";
import { println, printError } from "../../platform/console";
import { fixed, table } from "../../lib/format";
import { errorMessage, EBUSY } from "../../lib/errors";
import { nowUs } from "../../platform/time";
import { killTask } from "../../sched/scheduler";
import { pollOnce } from "../../sched/wait";
import { checkpoint } from "../../sched/checkpoint";
import { interrupted } from "../progress";
import { enterNestedLoop, leaveNestedLoop } from "../../sched/announce";
import { stressActive, stressKept, stress } from "../../mm/stress";
import { memoryReady } from "../../mm/pages";
import {
  reclaim, oomLogLength, oomLogEvent, DIRECT_COMPACT_BUDGET_PAGES, reclaimablePages,
} from "../../mm/reclaim";
import { psi } from "../../mm/psi";
import { FEATURE_NAMES, FEATURE_COUNT } from "../../ai/oom/features";
import { predictor, useModel, HISTORY_CAPACITY } from "../../ai/oom/predictor";
import { actionName, PROACTIVE_COMPACT_BUDGET_PAGES, DEFAULT_COOLDOWN_SLOTS } from "../../ai/oom/actions";
import {
  MODEL_HEURISTIC, MODEL_LEARNED, modelName, TRAIN_SEED_FIRST, EVAL_SEED_FIRST, EVAL_SEED_END, MAX_SLOTS,
  HORIZON_SLOTS, LEAD_SLOTS, POOL_PAGES, isTrainingSeed, isEvaluationSeed, PREVENT_GRACE_SLOTS,
} from "../../ai/oom/episodes";
import { trainModel, DEFAULT_TRAIN_EPISODES, EPOCHS, SLOT_STRIDE, TrainReport } from "../../ai/oom/train";
import { evaluateModels, EvalReport, classMean } from "../../ai/oom/evaluate";
import { predictionRows, preventionRows, ablationRows, jsonLines as evalJsonLines } from "../../ai/oom/report";
import { CLASS_NAMES, CLASS_COUNT, classByName, firstSeedOfClass } from "../../ai/oom/classes";
import { saveModel, loadModel, DEFAULT_MODEL_PATH, hasModelFileReader } from "../../ai/oom/model_file";
import { fileSinkError } from "../../ai/export_sink";
import { startLiveEpisode, startError, OomEpisodeTask } from "../../ai/oom/live";
import { printTable } from "../output";
import { oracleOnSeeds, DEFAULT_FUTURES, DEFAULT_SAFE_STEP } from "../../ai/oom/oracle";
import { percentile } from "../../lib/stats";

/** classOption(): no --class (every class), or an unknown name (already reported). */
const CLASS_ALL: i32 = -1;
const CLASS_BAD: i32 = -2;

/** Episodes per class. */
const DEFAULT_EVAL_EPISODES: i32 = 20;
const ORACLE_USAGE = "crashctl oracle [--episodes N] [--seed S] [--futures K] [--class leak|ramp|burst|frag|mixed] [--json]";
const EVAL_USAGE = "crashctl eval [--episodes N] [--seed S] [--class leak|ramp|burst|frag|mixed] [--periodic] [--ablate] [--json]";

const USAGE = "crashctl status | history [N] | tune [X] [--warning W] [--cooldown N] [--auto on|off] [--announce on|off]" +
  "\n         | model heuristic|learned | train [--episodes N] [--seed S] [--epochs E]" +
  "\n         | eval [--episodes N] [--seed S] [--class C] [--periodic] [--ablate] [--json] | save [PATH] | load [PATH]" +
  "\n         | oracle [--episodes N] [--seed S] [--futures K] [--class C] [--json] | run [--seed S] [--period-ms N] [--wait]" +
  "\nThe OOM predictor: every 100 ms it computes features from the memory statistics ring, asks the" +
  "\nmodel in use for the confidence (0..100%) that an OOM event follows within 10 s, warns at the" +
  "\nwarning threshold and runs a full compaction at the action threshold." +
  "\n  status    confidence now, model in use, thresholds, last features, OOM events (count, last ones)" +
  "\n  history   the last N (default 10, at most " + HISTORY_CAPACITY.toString() + ") traced predictions with their outcomes" +
  "\n  tune X    action threshold 0..1 (default 0.96); --warning W (default 0.8, <= X), --cooldown N" +
  "\n            (samples between compactions, default " + DEFAULT_COOLDOWN_SLOTS.toString() + "), --auto on|off (automatic compaction)," +
  "\n            --announce on|off (print warnings and compactions on the console; default off: status shows them)" +
  "\n  model     the model in use: heuristic (the plan's rule) or learned (must be trained or loaded)" +
  "\n  train     run N training episodes (default " + DEFAULT_TRAIN_EPISODES.toString() + ") from seed S (default 1; training seeds are" +
  "\n            " + TRAIN_SEED_FIRST.toString() + ".." + (EVAL_SEED_FIRST - 1).toString() + ") and fit the learned model (E epochs, default " + EPOCHS.toString() + ")" +
  "\n  eval      score the learned model, the heuristic and the PSI rule on N evaluation episodes per class" +
  "\n            (default " + DEFAULT_EVAL_EPISODES.toString() + "; classes leak, ramp, burst, frag, mixed, or one with --class) from seed S (default " +
  EVAL_SEED_FIRST.toString() + ";" +
  "\n            evaluation seeds are " + EVAL_SEED_FIRST.toString() + ".." + (EVAL_SEED_END - 1).toString() + "): recall 5-10 s ahead, false positives, recall" +
  "\n            at equal false positives, OOMs prevented with the remedies on vs off; --periodic adds a" +
  "\n            compaction-every-5-s reference, --ablate each remedy switched off; --json prints JSON lines." +
  "\n            Time is measured in 100 ms sample slots." +
  "\n  oracle    what could be predicted 5-10 s ahead at all: P(OOM within 10 s) from K resampled futures" +
  "\n            of each episode (kernel/ai/oom/oracle.ts), scored like eval" +
  "\n  save/load the learned model as a file (default " + DEFAULT_MODEL_PATH + "; needs a writable file system)" +
  "\n  run       a live OOM episode (seed S, default 1) as a task, one step per N ms (default 100);" +
  "\n            --wait waits for its end (Ctrl-C stops it)";

registerFamily("crashctl", "OOM predictor: status, history, thresholds, models, training, evaluation", USAGE);
registerSubcommand("crashctl", "status", "confidence now, model in use, thresholds, last features, OOM events",
  "crashctl status\n  Confidence now, model in use, thresholds, last features, OOM events (count, last ones).",
  (rest: Array<string>): i32 => (ready() && noArgs("crashctl status", rest) ? status() : 1));
registerSubcommand("crashctl", "history", "the last N traced predictions with their outcomes",
  "crashctl history [N]\n  The last N (default 10, at most " + HISTORY_CAPACITY.toString() + ") traced predictions with their outcomes.",
  (rest: Array<string>): i32 => (ready() ? history(rest) : 1));
registerSubcommand("crashctl", "tune", "thresholds, cooldown, automatic compaction, console announcements",
  "crashctl tune [X] [--warning W] [--cooldown N] [--auto on|off] [--announce on|off]\n  X: action threshold 0..1 (default 0.96); --warning W (default 0.8, <= X); --cooldown N (samples\n  between compactions, default " + DEFAULT_COOLDOWN_SLOTS.toString() + "); --auto on|off (automatic compaction); --announce on|off (print\n  warnings and compactions on the console; default off: status shows them).",
  (rest: Array<string>): i32 => (ready() ? tune(rest) : 1));
registerSubcommand("crashctl", "model", "the model in use: heuristic or learned",
  "crashctl model heuristic|learned\n  The model in use: heuristic (the plan's rule) or learned (must be trained or loaded).",
  (rest: Array<string>): i32 => (ready() ? model(rest) : 1));
registerSubcommand("crashctl", "train", "run training episodes and fit the learned model",
  "crashctl train [--episodes N] [--seed S] [--epochs E]\n  Runs N training episodes (default " + DEFAULT_TRAIN_EPISODES.toString() + ") from seed S (default 1; training seeds are " +
  TRAIN_SEED_FIRST.toString() + ".." + (EVAL_SEED_FIRST - 1).toString() + ") and fits the learned model (E epochs, default " + EPOCHS.toString() + ").",
  (rest: Array<string>): i32 => (ready() ? train(rest) : 1));
registerSubcommand("crashctl", "eval", "score the predictors on evaluation episodes, per class",
  EVAL_USAGE + "\n  Scores the learned model, the plan's heuristic and a systemd-oomd-like PSI rule on N evaluation\n  episodes per class (default " +
  DEFAULT_EVAL_EPISODES.toString() + ") from seed S (default " + EVAL_SEED_FIRST.toString() + "; evaluation seeds are " + EVAL_SEED_FIRST.toString() + ".." +
  (EVAL_SEED_END - 1).toString() + "): recall 5-10 s ahead,\n  false positives, recall at equal false positives, OOMs prevented with the remedies on vs off (compaction,\n" +
  "  reclaim, throttling or ending the task driving growth); --periodic adds a compaction-every-5-s reference,\n  --ablate each remedy switched off; --json prints JSON lines. Time is measured in 100 ms sample slots.",
  (rest: Array<string>): i32 => (ready() ? evaluate(rest) : 1));
registerSubcommand("crashctl", "oracle", "what an oracle could predict 5-10 s ahead, per class",
  ORACLE_USAGE + "\n  The oracle knows each episode's state and plan (its future allocation schedule) but not its random\n" +
  "  draws: P(OOM within 10 s) at a slot = share of K continuations (default " + DEFAULT_FUTURES.toString() + ", 1..64) with fresh draws\n" +
  "  that hit an OOM. Scored like eval on N episodes per class (default 10, 1..200) from seed S (default " + EVAL_SEED_FIRST.toString() + "):\n" +
  "  recall 5-10 s and false-positive episodes at P >= 50%, recall at <= 10% false positives, the mean P\n" +
  "  5-10 s before the OOMs. No model is involved. About 100 episodes' work per episode; --json prints JSON lines.",
  (rest: Array<string>): i32 => (ready() ? oracle(rest) : 1));
registerSubcommand("crashctl", "save", "save the learned model as a file",
  "crashctl save [PATH]\n  Saves the learned model (default " + DEFAULT_MODEL_PATH + "; needs a writable file system).",
  (rest: Array<string>): i32 => (ready() ? save(rest) : 1));
registerSubcommand("crashctl", "load", "load the learned model from a file",
  "crashctl load [PATH]\n  Loads the learned model (default " + DEFAULT_MODEL_PATH + ").",
  (rest: Array<string>): i32 => (ready() ? load(rest) : 1));
registerSubcommand("crashctl", "run", "a live OOM episode as a task",
  "crashctl run [--seed S] [--period-ms N] [--wait]\n  A live OOM episode (seed S, default 1) as a task, one step per N ms (default 100);\n  --wait waits for its end (Ctrl-C stops it).",
  (rest: Array<string>): i32 => (ready() ? run(rest) : 1));

/** The allocator is up (else one error line). */
function ready(): bool {
  if (memoryReady()) return true;
  printError("the page allocator is not initialised");
  return false;
}

function pct(v: f64): string {
  return isNaN(v) ? "-" : fixed(v * 100, 1) + "%";
}

function inUseName(): string {
  return predictor.model == MODEL_LEARNED ? "learned v" + predictor.learned.version.toString() : "heuristic";
}

function learnedState(): string {
  const m = predictor.learned;
  if (!m.trained) return "untrained ('crashctl train' or 'crashctl load')";
  const seeds = m.trainedSeedCount > 0
    ? "seeds " + m.trainedSeedStart.toString() + ".." + (m.trainedSeedStart + m.trainedSeedCount - 1).toString()
    : "no recorded seeds";
  return "v" + m.version.toString() + ", trained on " + seeds + " (" + m.trainedExamples.toString() + " samples, " +
    m.trainedPositives.toString() + " labelled OOM-within-10-s)";
}

// ---------------------------------------------------------------- status

function status(): i32 {
  const p = predictor;
  const now = nowUs();
  const ageUs: u64 = now > p.lastPredictionUs ? now - p.lastPredictionUs : 0;
  const age = p.lastPredictionUs > 0 ? fixed(<f64>ageUs / 1000, 0) + " ms ago" : "none yet";
  println("confidence now:  " + fixed(p.confidence * 100, 1) + "% that an OOM follows within 10 s (" + inUseName() + ", " + age + ")");
  println("model in use:    " + modelName(p.model) + "; learned model: " + learnedState());
  println("thresholds:      warning " + fixed(p.policy.warningThreshold * 100, 0) + "%, action " + fixed(p.policy.actionThreshold * 100, 0) +
    "% (full compaction " + (p.policy.autoCompact ? "on" : "off") + ", up to " + PROACTIVE_COMPACT_BUDGET_PAGES.toString() +
    " pages; cooldown " + p.policy.cooldownSlots.toString() + " samples; console announcements " + (p.announce ? "on" : "off") + ")");
  println("predictions:     " + p.predictions.toString() + " (one per 100 ms sample), warnings " + p.warnings.toString() +
    ", compactions " + p.compactions.toString() + ", outcomes resolved: " + p.resolvedOoms.toString() + " OOM followed, " +
    p.resolvedQuiet.toString() + " none");
  if (p.warnings > 0) {
    println("last warning:    " + fixed(<f64>p.lastWarningUs / 1e6, 1) + " s, confidence " + fixed(p.lastWarningConfidence * 100, 1) + "%" +
      (p.announce ? "" : " (console announcements off: crashctl tune --announce on)"));
  }
  if (p.lastCompaction != null) {
    const c = p.lastCompaction!;
    println("last compaction: " + fixed(<f64>p.lastCompactionUs / 1e6, 1) + " s: largest free block " + c.largestBefore.toString() + " -> " +
      c.largestAfter.toString() + " pages, " + c.pagesMigrated.toString() + " pages migrated in " + fixed(<f64>c.timeUs / 1000, 1) + " ms");
  }
  let feats = "";
  for (let i = 0; i < FEATURE_COUNT; i++) {
    feats += (i > 0 ? (i % 3 == 0 ? "\n                 " : ", ") : "") + FEATURE_NAMES[i] + " " + fixed(p.features[i], 3);
  }
  println("last features:   " + feats);
  println("OOM events:      " + reclaim.oomEvents.toString() + " since boot (allocations that failed after direct reclaim: empty slabs freed," +
    " then compaction of at most " + DIRECT_COMPACT_BUDGET_PAGES.toString() + " pages); direct reclaim ran " + reclaim.directReclaims.toString() +
    " times, rescued " + reclaim.rescued.toString());
  println("                 " + reclaim.episodeOomEvents.toString() + " more in training and evaluation episodes (not counted above)");
  println("memory pressure: some " + pct(psi.avg.some10) + " / " + pct(psi.avg.some60) + ", full " + pct(psi.avg.full10) + " / " + pct(psi.avg.full60) +
    " (avg10 / avg60: share of time stalled in direct reclaim); stalled " + fixed(<f64>psi.someUs / 1000, 1) + " ms in " + psi.stalls.toString() +
    " stalls since boot; reclaimable cache " + reclaimablePages().toString() + " pages");
  println("remedies:        " + p.compactions.toString() + " compactions, " + p.reclaims.toString() + " reclaims (" + reclaim.proactivePagesFreed.toString() +
    " pages freed), " + p.throttles.toString() + " tasks throttled, " + p.ends.toString() + " ended (a live episode's tasks only);" +
    " direct reclaim took " + reclaim.cachePagesShrunk.toString() + " cache pages");
  const n = oomLogLength();
  for (let i = max(0, n - 3); i < n; i++) {
    const e = oomLogEvent(i)!;
    println("  #" + e.seq.toString() + " at " + fixed(<f64>e.timeUs / 1e6, 3) + " s: order " + e.order.toString() + " " + e.kindName() +
      (e.bytes > 0 ? " (" + e.bytes.toString() + " B)" : "") + " for " + e.requester + ": " + e.freePages.toString() +
      " pages free, largest block " + e.largestFreePages.toString() + " (" + e.causeName() + ")");
  }
  return 0;
}

// ---------------------------------------------------------------- history

function history(rest: Array<string>): i32 {
  const o = new Options(rest, [], []);
  if (!o.ok) { printError(o.error + " (usage: crashctl history [N])"); return 1; }
  if (o.positionals.length > 1) { printError("crashctl history takes at most one number (usage: crashctl history [N])"); return 1; }
  let count: i32 = 10;
  if (o.positionals.length == 1) {
    const v = parseDecimal(o.positionals[0]);
    if (isNaN(v) || v != Math.floor(v) || v < 1 || v > <f64>HISTORY_CAPACITY) {
      printError("N must be an integer from 1 to " + HISTORY_CAPACITY.toString() + ", not '" + printable(o.positionals[0], 20) + "'");
      return 1;
    }
    count = <i32>v;
  }
  const n = predictor.history.length;
  if (n == 0) {
    println("no traced predictions yet (every warning-threshold crossing, every compaction and one in 50 predictions of at least 25% are traced)");
    return 0;
  }
  const rows = new Array<Array<string>>(0);
  rows.push(["TIME s", "MODEL", "CONFIDENCE", "ACTION", "TRACE", "OUTCOME (OOM within 10 s?)"]);
  for (let i = max(0, n - count); i < n; i++) {
    const r = predictor.record(i)!;
    rows.push([fixed(<f64>r.timeUs / 1e6, 1), r.model == MODEL_LEARNED ? "learned v" + r.version.toString() : "heuristic",
      fixed(r.confidence * 100, 1) + "%", actionName(r.action), r.traceId.toString(),
      r.outcome < 0 ? "pending" : (r.outcome == 1 ? "yes, OOM followed" : "no")]);
  }
  printTable(rows);
  println((rows.length - 1).toString() + " of " + n.toString() + " kept; 'tracectl show ID' has the features");
  return 0;
}

// ---------------------------------------------------------------- tune

function unitInterval(name: string, s: string): f64 {
  const v = parseDecimal(s);
  if (isNaN(v) || v < 0 || v > 1) {
    printError(name + " must be a number from 0 to 1, not '" + printable(s, 20) + "'");
    return -1;
  }
  return v;
}

function tune(rest: Array<string>): i32 {
  const o = new Options(rest, ["--warning", "--cooldown", "--auto", "--announce"], []);
  if (!o.ok) { printError(o.error + " (usage: crashctl tune [X] [--warning W] [--cooldown N] [--auto on|off] [--announce on|off])"); return 1; }
  if (o.positionals.length > 1) { printError("crashctl tune takes one threshold"); return 1; }
  if (o.positionals.length == 0 && !o.hasValue("--warning") && !o.hasValue("--cooldown") && !o.hasValue("--auto") &&
    !o.hasValue("--announce")) {
    printError("crashctl tune needs a threshold 0..1 or an option (usage: crashctl tune [X] [--warning W] [--cooldown N] [--auto on|off] [--announce on|off])");
    return 1;
  }
  const policy = predictor.policy;
  let action = policy.actionThreshold;
  let warning = policy.warningThreshold;
  if (o.positionals.length == 1) {
    action = unitInterval("the threshold", o.positionals[0]);
    if (action < 0) return 1;
  }
  if (o.hasValue("--warning")) {
    warning = unitInterval("--warning", o.value("--warning"));
    if (warning < 0) return 1;
  }
  if (warning > action) {
    printError("the warning threshold (" + fixed(warning, 2) + ") must not be above the action threshold (" + fixed(action, 2) + ")");
    return 1;
  }
  const cooldown = o.integer("--cooldown", policy.cooldownSlots, 0, 100000);
  if (cooldown < 0) return 1;
  let auto = policy.autoCompact;
  if (o.hasValue("--auto")) {
    const a = o.value("--auto");
    if (a == "on") auto = true;
    else if (a == "off") auto = false;
    else { printError("--auto must be on or off, not '" + printable(a, 20) + "'"); return 1; }
  }
  let announce = predictor.announce;
  if (o.hasValue("--announce")) {
    const a = o.value("--announce");
    if (a == "on") announce = true;
    else if (a == "off") announce = false;
    else { printError("--announce must be on or off, not '" + printable(a, 20) + "'"); return 1; }
  }
  policy.actionThreshold = action;
  policy.warningThreshold = warning;
  policy.cooldownSlots = <i32>cooldown;
  policy.autoCompact = auto;
  predictor.announce = announce;
  println("warning at " + fixed(warning * 100, 1) + "%, full compaction at " + fixed(action * 100, 1) + "% (" + (auto ? "on" : "off") +
    ", cooldown " + cooldown.toString() + " samples); console announcements " + (announce ? "on" : "off"));
  return 0;
}

// ---------------------------------------------------------------- model

function model(rest: Array<string>): i32 {
  if (rest.length != 1) { printError("usage: crashctl model heuristic|learned"); return 1; }
  const name = rest[0];
  if (name == "heuristic") {
    useModel(MODEL_HEURISTIC);
  } else if (name == "learned") {
    if (useModel(MODEL_LEARNED) < 0) {
      printError("the learned model is not trained yet: run 'crashctl train' (or 'crashctl load FILE') first");
      return 1;
    }
  } else {
    printError("unknown model '" + printable(name, 30) + "': heuristic or learned");
    return 1;
  }
  println("model in use: " + inUseName());
  return 0;
}

// ---------------------------------------------------------------- train

function busy(): bool {
  if (stressKept()) {
    // episodes pin and exhaust memory: they would have to free what the user kept
    printError("memory kept by 'stresstest mem --keep' is still held (" + stress.pagesHeld.toString() +
      " pages); 'stresstest mem --release' frees it");
    return true;
  }
  if (!stressActive()) return false;
  printError("a memory workload is running (stresstest mem or crashctl run): " + errorMessage(-EBUSY));
  return true;
}

function printTrainReport(r: TrainReport): void {
  println("  " + r.episodes.toString() + " episodes (" + r.oomEpisodes.toString() + " ended in OOM), " + r.rows.toString() + " samples (one slot in " + SLOT_STRIDE.toString() + "), " +
    r.positives.toString() + " labelled 'OOM within the next " + HORIZON_SLOTS.toString() + " slots'; collected in " +
    fixed(<f64>r.collectUs / 1e6, 2) + " s, fitted in " + fixed(<f64>r.fitUs / 1e6, 2) + " s");
  const losses = predictor.learned.epochLoss;
  let l = "";
  for (let i = 0; i < losses.length; i++) l += (i > 0 ? " " : "") + fixed(losses[i], 4);
  println("  loss per epoch (weighted cross-entropy): " + l);
}

function train(rest: Array<string>): i32 {
  const o = new Options(rest, ["--episodes", "--seed", "--epochs"], []);
  if (!o.ok) { printError(o.error + " (usage: crashctl train [--episodes N] [--seed S] [--epochs E])"); return 1; }
  if (o.positionals.length > 0) { printError("unexpected argument '" + printable(o.positionals[0], 40) + "'"); return 1; }
  const episodes = o.integer("--episodes", DEFAULT_TRAIN_EPISODES, 1, 1000);
  if (episodes < 0) return 1;
  const seed = o.integer("--seed", <i64>TRAIN_SEED_FIRST, 0, 0x7fffffffffff);
  if (seed < 0) return 1;
  const epochs = o.integer("--epochs", EPOCHS, 1, 100);
  if (epochs < 0) return 1;
  if (!isTrainingSeed(<u64>seed) || !isTrainingSeed(<u64>(seed + episodes - 1))) {
    printError("training seeds are " + TRAIN_SEED_FIRST.toString() + ".." + (EVAL_SEED_FIRST - 1).toString() + " (seeds " +
      EVAL_SEED_FIRST.toString() + " and up are kept for evaluation)");
    return 1;
  }
  if (busy()) return 1;
  println("training the learned model on seeds " + seed.toString() + ".." + (seed + episodes - 1).toString() + " (" + episodes.toString() +
    " episodes, no intervention; one workload step per 100 ms sample slot)");
  const r = trainModel(predictor.learned, <u64>seed, <i32>episodes, <i32>epochs);
  if (r.error < 0) { printError("training failed: " + errorMessage(r.error)); return 1; }
  printTrainReport(r);
  println("learned model: " + learnedState() + (predictor.model == MODEL_LEARNED ? " (in use)" : " ('crashctl model learned' to use it)"));
  return 0;
}

// ---------------------------------------------------------------- oracle

/** --class NAME of eval and oracle: its index, CLASS_ALL without it, CLASS_BAD (reported) for an unknown name. */
function classOption(o: Options): i32 {
  const name = o.value("--class", "");
  if (name.length == 0) return CLASS_ALL;
  const cls = classByName(name);
  if (cls < 0) {
    printError("unknown episode class '" + printable(name, 20) + "' (classes: " + CLASS_NAMES.join(", ") + ")");
    return CLASS_BAD;
  }
  return cls;
}

function oracle(rest: Array<string>): i32 {
  const o = new Options(rest, ["--episodes", "--seed", "--class", "--futures"], ["--json"]);
  if (!o.ok) { printError(o.error + " (usage: " + ORACLE_USAGE + ")"); return 1; }
  if (o.positionals.length > 0) { printError("unexpected argument '" + printable(o.positionals[0], 40) + "'"); return 1; }
  const episodes = o.integer("--episodes", 10, 1, 200);
  if (episodes < 0) return 1;
  const futures = o.integer("--futures", DEFAULT_FUTURES, 1, 64);
  if (futures < 0) return 1;
  const seed = o.integer("--seed", <i64>EVAL_SEED_FIRST, 1, 0x7fffffffffff);
  if (seed < 0) return 1;
  const cls = classOption(o);
  if (cls == CLASS_BAD) return 1;
  if (busy()) return 1;
  const json = o.has("--json");
  if (!json) {
    println("crashctl oracle: " + episodes.toString() + " episodes per class from seed " + seed.toString() + ", " + futures.toString() +
      " resampled futures per point (the episode's plan known, its random draws not)");
  }
  const rows = new Array<Array<string>>(0);
  rows.push(["class", "OOMs", "oracle recall 5-10 s (P >= 50%)", "FP episodes (P >= 50%)", "recall at <= 10% FP", "mean P 5-10 s before", "continuations"]);
  const recalls = new Array<f64>(0), fps = new Array<f64>(0), atFps = new Array<f64>(0), meanPs = new Array<f64>(0);
  for (let c = 0; c < CLASS_COUNT; c++) {
    if (cls >= 0 && c != cls) continue;
    const rep = oracleOnSeeds(firstSeedOfClass(<u64>seed, c), <i32>episodes, <u64>CLASS_COUNT, <i32>futures, DEFAULT_SAFE_STEP);
    if (rep.error < 0) { printError("oracle failed: " + errorMessage(rep.error)); return 1; }
    const recall = rep.recallAt(0.5), fp = rep.fpAt(0.5), atFp = rep.score.recallAtFp(0.1), meanP = rep.meanWindowP();
    if (json) {
      println("{\"name\":\"oom_oracle\",\"unit\":\"ratio\",\"class\":\"" + CLASS_NAMES[c] + "\",\"episodes\":" + episodes.toString() + ",\"futures\":" +
        futures.toString() + ",\"ooms\":" + rep.score.oomEpisodes.toString() + ",\"recall_5_10s_p50\":" + jsonNumber(recall) +
        ",\"fp_rate_episodes_p50\":" + jsonNumber(fp) + ",\"recall_at_fp10\":" + jsonNumber(atFp) + ",\"mean_p_window\":" +
        jsonNumber(meanP) + ",\"continuations\":" + rep.continuations.toString() + "}");
    }
    rows.push([CLASS_NAMES[c], rep.score.oomEpisodes.toString() + "/" + episodes.toString(), pct(recall), pct(fp), pct(atFp), pct(meanP),
      rep.continuations.toString()]);
    recalls.push(recall);
    fps.push(fp);
    atFps.push(atFp);
    meanPs.push(meanP);
    if (checkpoint()) return interrupted("crashctl oracle");
  }
  if (json) return 0;
  if (recalls.length > 1) {
    rows.push(["all (class mean)", "", pct(classMean(recalls)), pct(classMean(fps)), pct(classMean(atFps)), pct(classMean(meanPs)), ""]);
  }
  printTable(rows);
  return 0;
}

// ---------------------------------------------------------------- eval

function evaluate(rest: Array<string>): i32 {
  const o = new Options(rest, ["--episodes", "--seed", "--class"], ["--periodic", "--json", "--ablate"]);
  if (!o.ok) { printError(o.error + " (usage: " + EVAL_USAGE + ")"); return 1; }
  if (o.positionals.length > 0) { printError("unexpected argument '" + printable(o.positionals[0], 40) + "'"); return 1; }
  const episodes = o.integer("--episodes", DEFAULT_EVAL_EPISODES, 1, 1000);
  if (episodes < 0) return 1;
  const seed = o.integer("--seed", <i64>EVAL_SEED_FIRST, 0, 0x7fffffffffff);
  if (seed < 0) return 1;
  const cls = classOption(o);
  if (cls == CLASS_BAD) return 1;
  const classes = cls < 0 ? CLASS_COUNT : 1;
  // the last seed scored: every class's episodes are seeds first, first + 5, ...
  const last = <u64>seed + <u64>episodes * <u64>CLASS_COUNT + <u64>CLASS_COUNT;
  if (!isEvaluationSeed(<u64>seed) || !isEvaluationSeed(last)) {
    printError("evaluation seeds are " + EVAL_SEED_FIRST.toString() + ".." + (EVAL_SEED_END - 1).toString() + " (lower seeds are for training and development)");
    return 1;
  }
  if (busy()) return 1;
  const json = o.has("--json");
  const m = predictor.learned;
  if (!m.trained) {
    if (!json) println("the learned model is untrained: training it first on training seeds " + TRAIN_SEED_FIRST.toString() + ".." +
      (TRAIN_SEED_FIRST + <u64>DEFAULT_TRAIN_EPISODES - 1).toString() + " (as 'crashctl train' does)");
    const t = trainModel(m, TRAIN_SEED_FIRST, DEFAULT_TRAIN_EPISODES, EPOCHS);
    if (t.error < 0) { printError("training failed: " + errorMessage(t.error)); return 1; }
    if (!json) printTrainReport(t);
  }
  if (m.trainedSeedCount > 0 && !(m.trainedSeedStart + m.trainedSeedCount - 1 < <u64>seed || m.trainedSeedStart > last)) {
    printError("the learned model was trained on seeds that overlap " + seed.toString() + ".." + last.toString() + ": no episode used for training is scored");
    return 1;
  }
  if (!json) {
    println("crashctl eval: " + episodes.toString() + " evaluation episodes per class (" + (cls < 0 ? CLASS_NAMES.join(", ") : CLASS_NAMES[cls]) +
      ") from seed " + seed.toString() + " (never used for training); learned model " + learnedState());
    println("time is measured in 100 ms sample slots: one workload step per slot, run back to back (the allocations are real;" +
      " a live episode runs one step per 100 ms); action threshold " + fixed(predictor.policy.actionThreshold, 2) + ", cooldown " +
      predictor.policy.cooldownSlots.toString() + " slots");
    println("recall 5-10 s: the confidence reached the threshold " + LEAD_SLOTS.toString() + ".." + HORIZON_SLOTS.toString() +
      " slots before the OOM; prevented: no OOM in the acting pass, which runs " + PREVENT_GRACE_SLOTS.toString() +
      " slots past the episode's end; psi: full avg10 > 60% for 3 s, then the top task is ended");
  }
  const started = nowUs();
  const reports = new Array<EvalReport>(0);
  for (let c = 0; c < CLASS_COUNT; c++) {
    if (cls >= 0 && c != cls) continue;
    if (!json) println("  class " + CLASS_NAMES[c] + " ...");
    const rep = evaluateModels(firstSeedOfClass(<u64>seed, c), <i32>episodes, m, predictor.policy, o.has("--periodic"), <u64>CLASS_COUNT,
      o.has("--ablate"));
    if (rep.error < 0) { printError("evaluation failed: " + errorMessage(rep.error)); return 1; }
    rep.cls = c;
    reports.push(rep);
    if (checkpoint()) return interrupted("crashctl eval");
  }
  let dirty = 0;
  let protectedChosen = 0;
  let offMs = new Array<f64>(0);
  for (let i = 0; i < reports.length; i++) {
    dirty += reports[i].dirtyEpisodes;
    protectedChosen += reports[i].learned.protectedChosen + reports[i].heuristic.protectedChosen + reports[i].psi.protectedChosen;
    for (let k = 0; k < reports[i].episodeUs.length; k++) offMs.push(reports[i].episodeUs[k] / 1000);
  }
  const tookS = <f64>(nowUs() - started) / 1e6;
  if (json) {
    const lines = evalJsonLines(reports);
    for (let i = 0; i < lines.length; i++) println(lines[i]);
    println("{\"name\":\"oom_eval_episode_time\",\"unit\":\"ms\",\"n\":" + offMs.length.toString() + ",\"p50\":" +
      jsonNumber(percentile(offMs, 50)) + ",\"max\":" + jsonNumber(percentile(offMs, 100)) + ",\"total_s\":" + jsonNumber(tookS) +
      ",\"dirty_episodes\":" + dirty.toString() + ",\"protected_chosen\":" + protectedChosen.toString() + "}");
    return dirty == 0 && protectedChosen == 0 ? 0 : 1;
  }
  printTable(predictionRows(reports));
  printTable(preventionRows(reports));
  if (o.has("--ablate")) printTable(ablationRows(reports));
  println("took " + fixed(tookS, 1) + " s; per episode without intervention p50 " + fixed(percentile(offMs, 50), 1) + " ms, max " +
    fixed(percentile(offMs, 100), 1) + " ms; episodes with a data or page-count error: " + dirty.toString() +
    "; remedies aimed at a protected task: " + protectedChosen.toString());
  return dirty == 0 && protectedChosen == 0 ? 0 : 1;
}

function jsonNumber(v: f64): string {
  return isNaN(v) ? "null" : v.toString();
}

// ---------------------------------------------------------------- save / load

function pathArg(rest: Array<string>, sub: string): string {
  if (rest.length > 1) { printError("usage: crashctl " + sub + " [PATH]"); return ""; }
  const path = rest.length == 1 ? rest[0] : DEFAULT_MODEL_PATH;
  if (path.length == 0 || path.charCodeAt(0) != 47) { printError("PATH must be absolute, not '" + printable(path, 40) + "'"); return ""; }
  return path;
}

function save(rest: Array<string>): i32 {
  const path = pathArg(rest, "save");
  if (path.length == 0) return 1;
  if (!predictor.learned.trained) { printError("the learned model is not trained: nothing to save"); return 1; }
  const r = saveModel(predictor.learned, path);
  if (r < 0) {
    printError("cannot save the model to " + printable(path, 80) + ": " + (fileSinkError(r) == "no file system mounted yet"
      ? "no writable file system (the model can be saved once the VFS connects a file writer)" : fileSinkError(r)));
    return 1;
  }
  println("saved learned model v" + predictor.learned.version.toString() + " to " + path + " (" + r.toString() + " bytes)");
  return 0;
}

function load(rest: Array<string>): i32 {
  const path = pathArg(rest, "load");
  if (path.length == 0) return 1;
  if (!hasModelFileReader()) {
    printError("cannot load " + printable(path, 80) + ": no file system (the model can be loaded once the VFS connects a file reader)");
    return 1;
  }
  const r = loadModel(predictor.learned, path);
  if (r.code < 0) { printError("cannot load " + printable(path, 80) + ": " + errorMessage(r.code)); return 1; }
  if (r.problem.length > 0) { printError("cannot load " + printable(path, 80) + ": " + r.problem); return 1; }
  println("loaded learned model: " + learnedState());
  return 0;
}

// ---------------------------------------------------------------- run


function run(rest: Array<string>): i32 {
  const o = new Options(rest, ["--seed", "--period-ms"], ["--wait"]);
  if (!o.ok) { printError(o.error + " (usage: crashctl run [--seed S] [--period-ms N] [--wait])"); return 1; }
  if (o.positionals.length > 0) { printError("unexpected argument '" + printable(o.positionals[0], 40) + "'"); return 1; }
  const seed = o.integer("--seed", 1, 0, 0x7fffffffffff);
  if (seed < 0) return 1;
  const period = o.integer("--period-ms", 100, 1, 10000);
  if (period < 0) return 1;
  if (busy()) return 1;
  const t = startLiveEpisode(<u64>seed, <u64>period * 1000);
  if (t == null) { printError("cannot start the episode: " + errorMessage(startError)); return 1; }
  println("oom episode " + seed.toString() + " running as task " + t.id.toString() + ": one workload step every " + period.toString() +
    " ms, at most " + MAX_SLOTS.toString() + " steps, in a pool of " + POOL_PAGES.toString() + " pages (the rest of memory is pinned)");
  if (!o.has("--wait")) {
    println("its summary is printed when it ends; 'kill " + t.id.toString() + "' stops it");
    return 0;
  }
  waitFor(t);
  println(t.summary());
  return 0;
}

/** Runs the event loop until the episode ends; Ctrl-C kills it. */
function waitFor(t: OomEpisodeTask): void {
  t.waited = true;
  enterNestedLoop();
  while (!t.finished) {
    if (pollOnce()) killTask(t.id);
  }
  leaveNestedLoop();
}
