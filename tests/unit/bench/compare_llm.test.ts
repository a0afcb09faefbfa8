// bench-linux's language-model rows: the SIS figure from `llmctl generate --json` (tokens per
// second of decode time), the token-sequence comparison, and the Linux command naming llmref.
import assert from "node:assert/strict";
import { WORKLOADS, LLM_MODELS, generation, firstDifference, jsonField } from "../../../bench/linux/compare.ts";

describe("bench: bench-linux language-model rows", () => {
  it("reads tok/s from llmctl generate --json and from llmref", () => {
    const w = WORKLOADS.find((x) => x.name === "llm_decode_1m")!;
    const sis = '{"prompt_tokens":[1],"tokens":[5,6,7,8],"decode_us":80000,"prompt_us":900,"interrupted":false}';
    assert.equal(w.sis!("llmctl generate\n" + sis + "\n"), 50);
    assert.equal(w.sis!("error: no model loaded"), null);
    assert.equal(w.sis!('{"prompt_tokens":[1],"tokens":[],"decode_us":0,"prompt_us":1}'), null);
    assert.match(w.linux!, /^llmref \/llm\/m1\.bin --tokens 256 --name llm_decode_1m$/);
    const linux = '{"name":"linux.llm_decode_1m","value":41.5,"tokens":[5,6],"decode_us":48193,"prompt_us":100}';
    assert.equal(jsonField(linux, "linux.llm_decode_1m", "value"), 41.5);
    assert.deepEqual(generation(linux)!.tokens, [5, 6]);
    assert.equal(LLM_MODELS.length, 3);
  });

  it("finds where two greedy sequences differ", () => {
    assert.equal(firstDifference([1, 2, 3], [1, 2, 3]), -1);
    assert.equal(firstDifference([1, 2, 3], [1, 9, 3]), 1);
    assert.equal(firstDifference([1, 2, 3], [1, 2]), 2);
  });
});
