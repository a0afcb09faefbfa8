// Inference latency of the language model, for `autoctl ai-metrics`: `llmctl infer` (kernel/llm)
// calls recordLlmLatency() with the counter ticks of each answer (prompt + generation). The trace
// entries of subsystem "llm" have no room for it (8 features, all used), so it is kept here.
import { LatencyRing } from "../../sched/latency";

export const llmInferenceLatency = new LatencyRing(1024);

export function recordLlmLatency(ticks: u64): void {
  llmInferenceLatency.record(ticks);
}
