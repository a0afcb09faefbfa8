// Regression guard on the scheduler benchmark (issue 20, issue 23 item 4 for the scheduler):
// `bench sched` runs on the virtual clock (vclock.ts: the counter advances 2 us per read, so
// the results are deterministic and independent of the host's load) and each burst policy's
// median ratio to fair must stay within a margin of what it measures today. A change that
// breaks the policy (ordering, slices, wake-up preemption, the starvation bound) fails here.
// Checked once by breaking it: with the burst policies' pick() returning the fair order
// (super.pick) the cpu-interactive and cpu turnaround limits failed (0.96 > 0.95, 0.99 > 0.97);
// with the model gate always open (the model decides everywhere) the mixed and
// cpu-interactive turnaround limits and "attention matches the heuristic" failed.
import assert from "node:assert/strict";
import { benchOnVirtualClock, summarize, BenchLine } from "./vclock.ts";

// seeds 101-104 at 0.5 s (tuning used seeds 1-4 at 0.6 s); limits: what this measured at
// commit time (README: kernel/sched) plus a margin of 0.03-0.2
const ARGS = "--seeds 4 --first-seed 101 --seconds 0.5";
type Limit = { turnaround_mean: number; context_switches: number; interactive_response_p99?: number; makespan: number };
const LIMITS: Record<string, Limit> = {
  // measured (heuristic / attention) 0.940 / 1.044 / 0.289 / 0.974 and 0.941 / 1.047 / 0.278 / 0.975
  // (after the learned mixture became attention's base; tightened from 0.99 / 1.12 / 0.5 / 1.03)
  "sched.mixed": { turnaround_mean: 0.97, context_switches: 1.08, interactive_response_p99: 0.4, makespan: 1.0 },
  // measured 0.890 / 0.730 / 0.643 / 0.969 and 0.885 / 0.738 / 0.489 / 0.969 (from 0.95 / 0.8 / 0.9 / 1.03)
  "sched.cpu-interactive": { turnaround_mean: 0.92, context_switches: 0.77, interactive_response_p99: 0.75, makespan: 1.0 },
  // measured 0.711 / 0.044 / - / 0.996 both (0.92 before the response bound: a new task's first
  // slice comes within 20 ms, so the shortest CPU task is found sooner; from 0.76 / 0.08 / 1.01)
  "sched.cpu": { turnaround_mean: 0.74, context_switches: 0.06, makespan: 1.005 },
};

describe("scheduler benchmark on the virtual clock: ratios to fair (regression guard)", function () {
  this.timeout(120000);
  let lines: BenchLine[] = [];
  let summary: Map<string, Record<string, number>>;
  before(async () => {
    lines = (await benchOnVirtualClock(ARGS)).lines;
    summary = summarize(lines);
  });

  for (const policy of ["heuristic", "attention"]) {
    for (const kind of Object.keys(LIMITS)) {
      it(`${policy} on ${kind}: turnaround, switches, interactive p99 and makespan within the limits`, () => {
        const r = summary.get(`${kind} ${policy}`)!;
        const lim = LIMITS[kind];
        const text = Object.keys(lim).map((key) => `${key} ${r[key].toFixed(3)} (limit ${(lim as any)[key]})`).join(", ");
        console.log(`      ${text}; longest wait ${r.max_wait_ms.toFixed(0)} ms`);
        for (const [key, limit] of Object.entries(lim)) assert.ok(r[key] <= limit, `${key} ${r[key]} > ${limit}`);
        // the bound (burst_policy.ts): 500 ms + the 50 ms slice in progress + 8 ms per overdue task ahead (<= 5)
        assert.ok(r.max_wait_ms <= 590, `longest wait ${r.max_wait_ms} ms above the bound`);
      });
    }
  }

  for (const kind of Object.keys(LIMITS)) {
    it(`attention matches the heuristic on ${kind} (turnaround within 0.02; the model gate, kernel/ai/burst_gate.ts)`, () => {
      const a = summary.get(`${kind} attention`)!, h = summary.get(`${kind} heuristic`)!;
      assert.ok(a.turnaround_mean <= h.turnaround_mean + 0.02, `attention ${a.turnaround_mean} vs heuristic ${h.turnaround_mean}`);
    });
  }

  it("reports decision latency, the candidates and interrupts of the same window, and the model's learning", () => {
    const lat = lines.filter((l) => l.name === "sched.decision_latency");
    assert.deepEqual(lat.map((l) => l.policy), ["fair", "heuristic", "attention", "attention-scored"]);
    for (const l of lat) {
      assert.ok(l.n > 0 && l.n <= 4096 && l.n <= l.picks_in_bench, JSON.stringify(l));
      assert.ok(l.candidates_mean >= 2, JSON.stringify(l));
      assert.ok(l.interrupted >= 0 && l.interrupted <= l.n, JSON.stringify(l));
    }
    const model = lines.find((l) => l.name === "sched.model")!;
    assert.ok(model.updates > 0, JSON.stringify(model));
    const gate = lines.find((l) => l.name === "sched.model_gate")!;
    assert.equal(gate.buckets.length, 4, JSON.stringify(gate));
    assert.ok(gate.used_model + gate.used_heuristic > 1000, JSON.stringify(gate));
    const err = lines.find((l) => l.name === "sched.prediction_error")!;
    assert.ok(err.n > 1000 && Number.isFinite(err.model_mean_abs_log2), JSON.stringify(err));
  });

  // The learned mixture of the classical predictors (kernel/ai/burst_mixture.ts) on the same
  // examples as each classical predictor: on these workloads (bursts drawn independently: no
  // structure to learn) it must match the best one within 0.01 (measured 0.003 worse on seeds
  // 201-203); checked failing with the Hedge step's sign flipped.
  it("the learned mixture predicts bursts as well as the best classical predictor (within 0.01)", () => {
    const err = lines.find((l) => l.name === "sched.prediction_error")!;
    const best = Math.min(...Object.values(err.classical as Record<string, number>));
    console.log(`      mixture ${err.mixture_mean_abs_log2}, classical ${JSON.stringify(err.classical)}, residual model ${err.model_mean_abs_log2}`);
    assert.ok(err.mixture_mean_abs_log2 <= best + 0.01, `mixture ${err.mixture_mean_abs_log2} vs best classical ${best}`);
  });

  // Periodic tasks (workloads.ts PeriodicTask: a per-task pattern of 3 burst lengths, redrawn
  // halfway) have structure: per-task weights find the period, and the mixture must beat every
  // classical predictor by 0.04 (measured on seeds 201-203: 0.593 vs the best, median8, 0.724; on 111-112: 0.655 vs 0.714).
  it("on periodic tasks the learned mixture beats every classical predictor (by 0.04 mean |log2|)", async () => {
    const periodic = (await benchOnVirtualClock("--seeds 2 --first-seed 111 --seconds 0.5 --mix 0,0,0,4")).lines;
    const err = periodic.find((l) => l.name === "sched.prediction_error")!;
    const best = Math.min(...Object.values(err.classical as Record<string, number>));
    console.log(`      mixture ${err.mixture_mean_abs_log2}, classical ${JSON.stringify(err.classical)}, residual model ${err.model_mean_abs_log2}`);
    assert.ok(err.n > 500, JSON.stringify(err));
    assert.ok(err.mixture_mean_abs_log2 <= best - 0.04, `mixture ${err.mixture_mean_abs_log2} vs best classical ${best}`);
  });
});
