// JSON form of decision traces (tracectl export). Layout:
//   {"format":"sis-decision-trace","version":1,"count":N,"traces":[
//     {"id":12,"time_us":1234567,"subsystem":"sched","model_version":3,
//      "features":{"priority":0.49,...},"output_name":"score","output":0.61,
//      "action_name":"task","action":7,"confidence":0.12,
//      "outcome":0.55,"resolved_us":1234890},          (outcome and resolved_us null until known)
//     ...]}
// Numbers are finite decimals (6 places) or null.
import * as trace from "./trace";
import { fixed } from "../lib/format";
import { jsonString } from "../lib/json_string";

function num(v: f64): string {
  return isFinite(v) ? fixed(v, 6) : "null";
}

export function traceEntryJson(id: u64): string {
  let s = "{\"id\":" + id.toString() + ",\"time_us\":" + trace.traceTimeUs(id).toString() +
    ",\"subsystem\":" + jsonString(trace.traceSubsystemName(id)) + ",\"model_version\":" + trace.traceVersion(id).toString() +
    ",\"features\":{";
  const n = trace.traceFeatureCount(id);
  for (let i = 0; i < n; i++) {
    if (i > 0) s += ",";
    s += jsonString(trace.traceFeatureName(id, i)) + ":" + num(trace.traceFeature(id, i));
  }
  s += "},\"output_name\":" + jsonString(trace.traceOutputName(id)) + ",\"output\":" + num(trace.traceOutput(id)) +
    ",\"action_name\":" + jsonString(trace.traceActionName(id)) + ",\"action\":" + trace.traceAction(id).toString() +
    ",\"confidence\":" + num(trace.traceConfidence(id));
  if (trace.traceResolved(id)) {
    s += ",\"outcome\":" + num(trace.traceOutcome(id)) + ",\"resolved_us\":" + trace.traceResolvedUs(id).toString();
  } else {
    s += ",\"outcome\":null,\"resolved_us\":null";
  }
  return s + "}";
}

/** The newest `recent` entries (all held entries when recent <= 0) as one JSON document. */
export function tracesJson(recent: i32): string {
  const newest = trace.newestTraceId();
  let from = trace.oldestTraceId();
  if (recent > 0 && newest + 1 > <u64>recent && newest + 1 - <u64>recent > from) from = newest + 1 - <u64>recent;
  const parts = new Array<string>(0);
  for (let id = from; id <= newest; id++) if (trace.traceExists(id)) parts.push(traceEntryJson(id));
  return "{\"format\":\"sis-decision-trace\",\"version\":1,\"count\":" + parts.length.toString() +
    ",\"traces\":[" + parts.join(",") + "]}";
}
