// Seed discipline of the OOM development tool (tests/unit/ai/oom-dev.ts; issue 23 item 5), the
// same ranges as kernel/ai/oom/episodes.ts: training 1..499999, development 500000..999999,
// evaluation 1000000.. (never used for a choice).
export const DEV_SEED_FIRST = 500_000n;
export const EVAL_SEED_FIRST = 1_000_000n;

/**
 * "" when N episodes per class from development seed dev (classes are seed % 5: seeds dev + c,
 * dev + c + 5, ..., all below dev + 5 * (N + 1)) and training seeds ts..ts+tn-1 keep to their
 * ranges; else what is wrong.
 */
export function seedProblem(dev: bigint, n: number, ts: bigint, tn: number): string {
  if (!(Number.isInteger(n) && n >= 1 && Number.isInteger(tn) && tn >= 1)) return "N and TN must be integers >= 1";
  const devLast = dev + 5n * BigInt(n + 1);
  if (dev < DEV_SEED_FIRST || devLast >= EVAL_SEED_FIRST) {
    return `development seeds are ${DEV_SEED_FIRST}..${EVAL_SEED_FIRST - 1n}; DEV=${dev} N=${n} reaches ${devLast} (evaluation seeds start at ${EVAL_SEED_FIRST})`;
  }
  if (ts < 1n || ts + BigInt(tn) > DEV_SEED_FIRST) return `training seeds are 1..${DEV_SEED_FIRST - 1n}; TS=${ts} TN=${tn} overlaps the development seeds`;
  return "";
}
