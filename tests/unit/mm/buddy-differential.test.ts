// Randomized differential test: 10^6 seeded operations on the kernel's buddy allocator
// (wasm) and on the reference model of model.ts, compared after every operation:
// success/failure of every allocation (the allocator must not fail while an aligned free
// run exists, must never return a non-free, misaligned or out-of-arena block), the exact
// result of every free (valid frees, double frees, foreign addresses, wrong orders), and
// the free page count. Every 25,000 operations the allocator checks its own invariants.
// The arena is 4096 pages (4 pageblocks, so grouping by mobility and whole-pageblock
// allocations are exercised), with reserved holes.
import assert from "node:assert/strict";
import { loadMm, Arena, ReferenceModel, KIND_PLAIN, KIND_MOVABLE, MAX_ORDER } from "./model.ts";
import type { KernelModule } from "../../host/compile.ts";
import { xorshift32 as random } from "../../host/rng.ts";

const OPERATIONS = 1_000_000;


describe("buddy allocator: randomized differential test against a reference model", function () {
  this.timeout(120000);
  let k: KernelModule<any>;
  before(async () => {
    k = await loadMm();
  });

  it(`${OPERATIONS.toLocaleString("en")} operations agree with the reference model`, () => {
    const e = k.exports;
    const windowPages = 4096;
    const usable: [number, number][] = [[0, 700], [703, 1500], [1536, 2900], [2901, 3000], [3008, 4096]];
    const arena = new Arena(k, windowPages, usable);
    const model = new ReferenceModel(windowPages, usable);
    const rnd = random(20240601);
    const counts = { allocs: 0, allocFailures: 0, frees: 0, doubleFrees: 0, foreign: 0, wrongOrder: 0 };
    const recentlyFreed: [number, number][] = [];
    const livePages: number[] = []; // heads of live blocks, for O(1) random choice
    const started = Date.now();
    for (let op = 0; op < OPERATIONS; op++) {
      const r = rnd() % 100;
      if (r < 52 || livePages.length === 0) {
        // orders skewed small, up to MAX_ORDER + 1 (always fails)
        const order = Math.min(Math.clz32(rnd() | 1) % 12, MAX_ORDER + 1);
        const kind = rnd() & 1 ? KIND_MOVABLE : KIND_PLAIN;
        const page = e.bAlloc(order, kind);
        if (page === 0) {
          if (model.canAllocate(order)) assert.fail(`op ${op}: alloc(order ${order}) failed with an aligned free run available`);
          counts.allocFailures++;
        } else {
          model.allocated(page, order, kind);
          livePages.push(page);
          counts.allocs++;
        }
      } else if (r < 92) {
        const i = rnd() % livePages.length;
        const page = livePages[i];
        const order = model.live.get(page)!.order;
        const got = e.bFree(page, order);
        if (got !== 0) assert.fail(`op ${op}: free of live block ${page} order ${order} returned ${got}`);
        model.freed(page);
        livePages[i] = livePages[livePages.length - 1];
        livePages.pop();
        recentlyFreed.push([page, order]);
        if (recentlyFreed.length > 64) recentlyFreed.shift();
        counts.frees++;
      } else {
        // a bad free: double free of a recent block, a random page, or a live block with the wrong order
        let page: number, order: number;
        const which = rnd() % 3;
        if (which === 0 && recentlyFreed.length > 0) [page, order] = recentlyFreed[rnd() % recentlyFreed.length];
        else if (which === 1 && livePages.length > 0) {
          page = livePages[rnd() % livePages.length];
          order = (model.live.get(page)!.order + 1 + (rnd() % MAX_ORDER)) % (MAX_ORDER + 1);
        } else {
          page = rnd() % (windowPages + 8);
          order = rnd() % (MAX_ORDER + 3);
        }
        const want = model.expectedFree(page, order);
        const got = e.bFree(page, order);
        if (got !== want) assert.fail(`op ${op}: free(page ${page}, order ${order}) returned ${got}, the model says ${want}`);
        if (want === 0) {
          // a random page that happened to be a live head with that order: a valid free
          model.freed(page);
          const i = livePages.indexOf(page);
          livePages[i] = livePages[livePages.length - 1];
          livePages.pop();
        } else if (want === -22) counts.doubleFrees++;
        else if (want === -14) counts.foreign++;
        else counts.wrongOrder++;
      }
      if (e.bFreePages() !== model.freePages) assert.fail(`op ${op}: ${e.bFreePages()} free pages, the model has ${model.freePages}`);
      if (op % 25000 === 0) {
        const problem = e.bCheck();
        assert.equal(problem, "", `op ${op}: ${problem}`);
      }
    }
    assert.equal(e.bCheck(), "");
    arena.assertNoStrayWrites();
    // free everything: all pages come back, coalesced into the largest blocks possible
    for (const page of livePages) assert.equal(e.bFree(page, model.live.get(page)!.order), 0);
    assert.equal(e.bFreePages(), e.bManagedPages());
    assert.equal(e.bCheck(), "");
    console.log(`      ${counts.allocs} allocations (${counts.allocFailures} failed, all when no free run existed), ` +
      `${counts.frees} frees, refused: ${counts.doubleFrees} double, ${counts.foreign} foreign, ${counts.wrongOrder} wrong order ` +
      `(${Date.now() - started} ms)`);
    assert.ok(counts.allocFailures > 1000 && counts.doubleFrees > 1000 && counts.foreign > 1000 && counts.wrongOrder > 1000,
      "the run exercised failures and every kind of refused free");
  });
});
