// Decision tracing: every decision an AI component takes is recorded here, so that what it
// decided, from what inputs, with which weights, and how it turned out can be inspected
// (`tracectl`) and exported as JSON.
//
// Generic API (the scheduler uses it now; the OOM predictor and the LLM later):
//   const SUB = registerTraceSubsystem("sched", ["priority", "cpu_ratio", ...], "score", "task");
//   const id = recordDecision(SUB, modelVersion, features, featureCount, output, confidence, action);
//   ... later, once the effect is known ...
//   resolveOutcome(id, outcome);      // false when the entry was already overwritten
//
// Fields of an entry:
//   id          u64, 1, 2, 3 ... in recording order (never reused, also not after clear)
//   time        counter ticks of the decision (recordDecision's `at`, else when recorded;
//               shown in us since boot)
//   subsystem   index from registerTraceSubsystem (names its features, output and action)
//   version     the model version (weights) that decided
//   features    up to MAX_FEATURES f64 inputs (the caller's numbers, copied)
//   output      the model's output (e.g. a score)
//   confidence  0..1 as the subsystem defines it (documented at its registration)
//   action      what was done (e.g. the chosen task id; -1 = none)
//   outcome     f64 observed afterwards (NaN until resolveOutcome), and when it was resolved
//
// Storage: a ring of TRACE_CAPACITY entries in preallocated arrays, so recording never
// allocates (it runs on the scheduler's hot path). Entry id lives in slot (id - 1) %
// TRACE_CAPACITY; a slot is valid for an id only while ids[slot] == id.
import { nowTicks, ticksToUs } from "../platform/time";

export const TRACE_CAPACITY: i32 = 4096;
export const MAX_FEATURES: i32 = 8;

class TraceSubsystem {
  recorded: u64 = 0;
  resolved: u64 = 0;
  /** Entries overwritten by the ring before their outcome arrived. */
  lostUnresolved: u64 = 0;
  constructor(public name: string, public featureNames: Array<string>, public outputName: string,
    public actionName: string) {}
}

const subsystems = new Array<TraceSubsystem>(0);
const ids = new StaticArray<u64>(TRACE_CAPACITY);
const times = new StaticArray<u64>(TRACE_CAPACITY);
const subsystemOf = new StaticArray<i32>(TRACE_CAPACITY);
const versions = new StaticArray<u32>(TRACE_CAPACITY);
const featureCounts = new StaticArray<i32>(TRACE_CAPACITY);
const features = new StaticArray<f64>(TRACE_CAPACITY * MAX_FEATURES);
const outputs = new StaticArray<f64>(TRACE_CAPACITY);
const confidences = new StaticArray<f64>(TRACE_CAPACITY);
const actions = new StaticArray<i64>(TRACE_CAPACITY);
const outcomes = new StaticArray<f64>(TRACE_CAPACITY);
const resolvedAt = new StaticArray<u64>(TRACE_CAPACITY);

let nextId: u64 = 1;
/** Entries with id < clearedBefore are gone (tracectl clear). */
let clearedBefore: u64 = 1;

/** Registers a subsystem; returns its index for recordDecision(). Same name -> same index. */
export function registerTraceSubsystem(name: string, featureNames: Array<string>, outputName: string,
  actionName: string): i32 {
  for (let i = 0; i < subsystems.length; i++) if (subsystems[i].name == name) return i;
  subsystems.push(new TraceSubsystem(name, featureNames, outputName, actionName));
  return subsystems.length - 1;
}

// @ts-ignore: decorator
@inline function slotOf(id: u64): i32 {
  return <i32>((id - 1) % <u64>TRACE_CAPACITY);
}

/**
 * Records a decision; returns its trace id (0 when `subsystem` is not registered). `at` is
 * the counter value the decision was taken at (0: now). Stores go through raw addresses of
 * the rings (preallocated, non-moving): indexing the StaticArrays would make the runtime
 * spill each reference to its shadow stack, and this runs inside every scheduling decision.
 */
export function recordDecision(subsystem: i32, modelVersion: u32, inputs: StaticArray<f64>, featureCount: i32,
  output: f64, confidence: f64, action: i64, at: u64 = 0): u64 {
  if (subsystem < 0 || subsystem >= subsystems.length) return 0;
  const id = nextId++;
  const slot = <usize>slotOf(id);
  const at8 = slot << 3;
  const old = load<u64>(changetype<usize>(ids) + at8);
  if (old >= clearedBefore && old != 0 && isNaN(load<f64>(changetype<usize>(outcomes) + at8))) {
    const s = load<i32>(changetype<usize>(subsystemOf) + (slot << 2));
    if (s >= 0 && s < subsystems.length) unchecked(subsystems[s]).lostUnresolved++;
  }
  store<u64>(changetype<usize>(ids) + at8, id);
  store<u64>(changetype<usize>(times) + at8, at != 0 ? at : nowTicks());
  store<i32>(changetype<usize>(subsystemOf) + (slot << 2), subsystem);
  store<u32>(changetype<usize>(versions) + (slot << 2), modelVersion);
  const n = min(max(featureCount, 0), min(MAX_FEATURES, inputs.length));
  store<i32>(changetype<usize>(featureCounts) + (slot << 2), n);
  const from = changetype<usize>(inputs);
  const to = changetype<usize>(features) + slot * <usize>(MAX_FEATURES << 3);
  for (let i = 0; i < n; i++) store<f64>(to + (<usize>i << 3), load<f64>(from + (<usize>i << 3)));
  store<f64>(changetype<usize>(outputs) + at8, output);
  store<f64>(changetype<usize>(confidences) + at8, confidence);
  store<i64>(changetype<usize>(actions) + at8, action);
  store<f64>(changetype<usize>(outcomes) + at8, NaN);
  store<u64>(changetype<usize>(resolvedAt) + at8, 0);
  unchecked(subsystems[subsystem]).recorded++;
  return id;
}

/** Attaches the observed outcome; false when the id is unknown, overwritten or cleared. */
export function resolveOutcome(id: u64, outcome: f64): bool {
  if (!traceExists(id)) return false;
  const slot = slotOf(id);
  if (isNaN(outcomes[slot])) subsystems[subsystemOf[slot]].resolved++;
  outcomes[slot] = outcome;
  resolvedAt[slot] = nowTicks();
  return true;
}

/** Sets the action of a decision taken after it was recorded (llm: executed, declined...). */
export function setTraceAction(id: u64, action: i64): bool {
  if (!traceExists(id)) return false;
  actions[slotOf(id)] = action;
  return true;
}

export function traceExists(id: u64): bool {
  if (id == 0 || id >= nextId || id < clearedBefore) return false;
  return ids[slotOf(id)] == id;
}

/** Oldest id still held (nextId when the ring is empty). */
export function oldestTraceId(): u64 {
  const byCapacity = nextId > <u64>TRACE_CAPACITY ? nextId - <u64>TRACE_CAPACITY : 1;
  return max(byCapacity, clearedBefore);
}

/** Newest id recorded (0 when none ever was). */
export function newestTraceId(): u64 {
  return nextId - 1;
}

export function traceCount(): i32 {
  return <i32>(nextId - oldestTraceId());
}

/** Forgets every entry (ids keep counting). */
export function clearTraces(): void {
  clearedBefore = nextId;
}

// ---- reading entries (callers check traceExists first) ----
export function traceTimeUs(id: u64): u64 { return ticksToUs(times[slotOf(id)]); }
export function traceSubsystem(id: u64): i32 { return subsystemOf[slotOf(id)]; }
export function traceSubsystemName(id: u64): string { return subsystems[subsystemOf[slotOf(id)]].name; }
export function traceVersion(id: u64): u32 { return versions[slotOf(id)]; }
export function traceFeatureCount(id: u64): i32 { return featureCounts[slotOf(id)]; }
export function traceFeature(id: u64, i: i32): f64 { return features[slotOf(id) * MAX_FEATURES + i]; }
export function traceFeatureName(id: u64, i: i32): string {
  const names = subsystems[subsystemOf[slotOf(id)]].featureNames;
  return i < names.length ? names[i] : "f" + i.toString();
}
export function traceOutput(id: u64): f64 { return outputs[slotOf(id)]; }
export function traceOutputName(id: u64): string { return subsystems[subsystemOf[slotOf(id)]].outputName; }
export function traceActionName(id: u64): string { return subsystems[subsystemOf[slotOf(id)]].actionName; }
export function traceConfidence(id: u64): f64 { return confidences[slotOf(id)]; }
export function traceAction(id: u64): i64 { return actions[slotOf(id)]; }
export function traceResolved(id: u64): bool { return !isNaN(outcomes[slotOf(id)]); }
export function traceOutcome(id: u64): f64 { return outcomes[slotOf(id)]; }
export function traceResolvedUs(id: u64): u64 { return ticksToUs(resolvedAt[slotOf(id)]); }

// ---- statistics ----
export function traceSubsystemCount(): i32 { return subsystems.length; }
export function subsystemName(i: i32): string { return subsystems[i].name; }
export function subsystemRecorded(i: i32): u64 { return subsystems[i].recorded; }
export function subsystemResolved(i: i32): u64 { return subsystems[i].resolved; }
export function subsystemLostUnresolved(i: i32): u64 { return subsystems[i].lostUnresolved; }

/** Over the entries held now: [held, resolved, mean outcome, mean |output - outcome|, mean confidence]. */
export function heldStats(subsystem: i32): StaticArray<f64> {
  const r = new StaticArray<f64>(5);
  let held: f64 = 0, resolved: f64 = 0, outcomeSum: f64 = 0, errorSum: f64 = 0, confSum: f64 = 0;
  for (let id = oldestTraceId(); id < nextId; id++) {
    const slot = slotOf(id);
    if (ids[slot] != id || subsystemOf[slot] != subsystem) continue;
    held++;
    confSum += confidences[slot];
    if (!isNaN(outcomes[slot])) {
      resolved++;
      outcomeSum += outcomes[slot];
      errorSum += Math.abs(outputs[slot] - outcomes[slot]);
    }
  }
  r[0] = held;
  r[1] = resolved;
  r[2] = resolved > 0 ? outcomeSum / resolved : NaN;
  r[3] = resolved > 0 ? errorSum / resolved : NaN;
  r[4] = held > 0 ? confSum / held : NaN;
  return r;
}
