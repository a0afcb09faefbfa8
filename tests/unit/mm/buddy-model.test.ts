// Exhaustive bounded model check of the buddy allocator (kernel/mm/buddy.ts, compiled to
// wasm): every sequence of state-changing operations up to DEPTH on small arenas, with the
// properties of PLAN.md 2.3 checked after every step:
//
//   1. no arithmetic overflow in order/size calculations: orders 0..MAX_ORDER+1, 31, 32,
//      2^31 and 2^32-1 are tried at every state; out-of-range orders fail cleanly and
//      change nothing; every returned block lies inside the arena (a wrapped shift or
//      index would put it elsewhere);
//   2. double free detected: freeing any free page (at any order) returns -EINVAL and
//      changes nothing; foreign pages and wrong orders give -EFAULT / -ERANGE;
//   3. no leak: free pages + pages of live allocations = managed pages, and the allocator's
//      own invariants (checkBuddy: block tiling, maximal coalescing, free lists, counts) hold;
//   4. alignment: every block is aligned to its size;
//   5. no access outside the arena: the allocator writes only its metadata (guard bytes
//      around it and a canary at both ends of every arena page stay intact), and every
//      block it returns is made of usable pages of the arena.
// Besides, completeness: an allocation fails only when no aligned run of free pages of
// that size exists (the reference model in model.ts).
//
// Operations: alloc(order, kind) for order 0..4 and kind plain/movable, and free(block) for
// every live block. Operations that must not change the state (failing allocations,
// refused frees) are probed at every state instead of being branched on: a sequence with
// such a step reaches the same states as the sequence without it. Sequences reaching a
// state already explored at the same or a smaller depth are cut (their continuations were
// explored there), so the search covers every sequence up to DEPTH; when no new state
// appears before DEPTH, it has covered every sequence of any length.
import assert from "node:assert/strict";
import { loadMm, Arena, ReferenceModel, KIND_PLAIN, KIND_MOVABLE, MAX_ORDER, ERR_DOUBLE_FREE, ERR_FOREIGN, ERR_WRONG_ORDER } from "./model.ts";
import type { KernelModule } from "../../host/compile.ts";

const ALLOC_ORDERS = [0, 1, 2, 3, 4];
const KINDS = [KIND_PLAIN, KIND_MOVABLE];
const BAD_ORDERS = [MAX_ORDER + 1, 31, 32, 0x80000000, 0xffffffff];
const COUNTER = { failures: 2, doubleFrees: 3, foreignFrees: 4, wrongOrderFrees: 5 };

interface Result { states: number; transitions: number; probes: number; depthReached: number; closed: boolean; sequences: number }
interface State { snap: Uint8Array; live: [number, number, number][]; index: number }

/** Explores every sequence up to `depth` from the arena's initial state, breadth first. */
function explore(k: KernelModule<any>, arena: Arena, model: ReferenceModel, depth: number): Result {
  const e = k.exports;
  const managed = e.bManagedPages();
  const result: Result = { states: 0, transitions: 0, probes: 0, depthReached: 0, closed: false, sequences: 0 };
  const view = () => new DataView(k.memory.buffer);

  // Behaviour-relevant state: page states (type, kind, order) + the order of every free list.
  const metaNext = arena.metaAddr + view().getUint32(arena.metaAddr + 20, true);
  const metaState = arena.metaAddr + view().getUint32(arena.metaAddr + 16, true);
  function key(): string {
    const mem = arena.bytes();
    const v = view();
    let s = String.fromCharCode(...mem.subarray(metaState, metaState + arena.windowPages));
    for (let list = 0; list < 32; list++) {
      let q = v.getUint32(arena.metaAddr + 32 + list * 4, true);
      if (q === 0) continue;
      s += "|" + list + ":";
      for (let guard = 0; q !== 0 && guard <= arena.windowPages; guard++) {
        s += String.fromCharCode(q);
        q = v.getUint32(metaNext + q * 4, true);
      }
    }
    return s;
  }

  function checkState(): void {
    const problem = e.bCheck();
    assert.equal(problem, "", `buddy invariant broken: ${problem}`);
    assert.equal(e.bFreePages(), model.freePages, "free page count differs from the reference model");
    assert.equal(e.bFreePages() + model.livePages(), managed, "pages leaked or duplicated");
    arena.assertNoStrayWrites();
  }

  /** Operations that must not change anything; each must fail with the right code and be counted. */
  function probe(): void {
    const before = arena.snapshot();
    const counts = Object.values(COUNTER).map((c) => e.bCounter(c));
    const expected = [0n, 0n, 0n, 0n];
    for (const order of [...ALLOC_ORDERS, 5, ...BAD_ORDERS]) {
      if (model.canAllocate(order)) continue;
      for (const kind of KINDS) {
        assert.equal(e.bAlloc(order, kind), 0, `alloc(order ${order}) succeeded with no free run of that size`);
        expected[0]++;
        result.probes++;
      }
    }
    for (let page = 0; page <= arena.windowPages; page++) {
      for (const order of [0, 1, 2, 3, 4, 5, MAX_ORDER, ...BAD_ORDERS]) {
        const want = model.expectedFree(page, order);
        if (want === 0) continue;
        const got = e.bFree(page, order);
        if (got !== want) assert.fail(`free(page ${page}, order ${order}) returned ${got}, expected ${want}`);
        expected[want === ERR_DOUBLE_FREE ? 1 : want === ERR_FOREIGN ? 2 : 3]++;
        result.probes++;
      }
    }
    Object.values(COUNTER).forEach((c, i) => assert.equal(e.bCounter(c) - counts[i], expected[i], "refused operations not counted exactly"));
    assert.ok(arena.sameExceptCounters(before), "a failed allocation or refused free changed the allocator");
    arena.restore(before);
  }

  const visited = new Map<string, number>(); // state key -> state index
  const successors: number[][] = []; // for counting the sequences covered
  const liveList = (): [number, number, number][] => [...model.live.entries()].map(([p, l]) => [p, l.order, l.kind]);
  function setModel(live: [number, number, number][]): void {
    for (const p of [...model.live.keys()]) model.freed(p);
    for (const [p, order, kind] of live) model.allocated(p, order, kind);
  }
  /** Records the current state; returns its index. */
  function discovered(frontier: State[]): number {
    const id = key();
    const known = visited.get(id);
    if (known !== undefined) return known;
    const index = result.states++;
    visited.set(id, index);
    successors.push([]);
    probe();
    frontier.push({ snap: arena.snapshot(), live: liveList(), index });
    return index;
  }

  checkState();
  let frontier: State[] = [];
  discovered(frontier);
  for (let d = 1; d <= depth; d++) {
    const next: State[] = [];
    for (const st of frontier) {
      arena.restore(st.snap);
      setModel(st.live);
      for (const order of ALLOC_ORDERS) {
        if (!model.canAllocate(order)) continue;
        for (const kind of KINDS) {
          const page = e.bAlloc(order, kind);
          assert.notEqual(page, 0, `alloc(order ${order}) failed although a free run exists`);
          result.transitions++;
          model.allocated(page, order, kind);
          checkState();
          successors[st.index].push(discovered(next));
          model.freed(page);
          arena.restore(st.snap);
        }
      }
      for (const [page, order, kind] of st.live) {
        const r = e.bFree(page, order);
        assert.equal(r, 0, `free of live block ${page} (order ${order}) refused: ${r}`);
        result.transitions++;
        model.freed(page);
        checkState();
        successors[st.index].push(discovered(next));
        model.allocated(page, order, kind);
        arena.restore(st.snap);
      }
    }
    if (next.length === 0) {
      result.closed = true;
      break;
    }
    result.depthReached = d;
    frontier = next;
  }
  // sequences of state-changing operations of length 0..depth: paths from the initial state
  let paths = new Float64Array(result.states);
  paths[0] = 1;
  result.sequences = 1;
  for (let d = 1; d <= depth; d++) {
    const nextPaths = new Float64Array(result.states);
    let any = false;
    for (let i = 0; i < result.states; i++) {
      if (paths[i] === 0) continue;
      for (const j of successors[i]) nextPaths[j] += paths[i];
      any = true;
    }
    if (!any) break;
    paths = nextPaths;
    for (let i = 0; i < result.states; i++) result.sequences += paths[i];
  }
  return result;
}

describe("buddy allocator: exhaustive bounded model check", function () {
  this.timeout(120000);
  let k: KernelModule<any>;
  before(async () => {
    k = await loadMm();
  });

  const cases: { name: string; windowPages: number; usable: [number, number][]; depth: number }[] = [
    { name: "8 pages: one whole order-3 block", windowPages: 16, usable: [[8, 16]], depth: 20 },
    { name: "16 pages: one whole order-4 block", windowPages: 32, usable: [[16, 32]], depth: Number(process.env.MM_MODEL_DEPTH ?? 6) },
    { name: "15 pages with reserved holes (page 0, 5, 13)", windowPages: 16, usable: [[0, 5], [6, 13], [14, 16]], depth: Number(process.env.MM_MODEL_DEPTH2 ?? 7) },
  ];
  for (const c of cases) {
    it(`${c.name}: every alloc/free sequence up to depth ${c.depth}`, () => {
      const arena = new Arena(k, c.windowPages, c.usable);
      const model = new ReferenceModel(c.windowPages, c.usable);
      const started = Date.now();
      const r = explore(k, arena, model, c.depth);
      console.log(`      ${r.sequences.toPrecision(4)} sequences up to depth ${c.depth}; ${r.states} states, ${r.transitions} transitions, ${r.probes} refused-operation probes, ` +
        `new states up to depth ${r.depthReached}; ${r.closed ? "closed: no new state after that, so sequences of ANY length are covered" : `bounded at depth ${c.depth}`}` +
        ` (${Date.now() - started} ms)`);
      assert.ok(r.states > 1 && r.transitions > 0);
    });
  }
});
