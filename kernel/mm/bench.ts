// Allocator benchmarks, shared by `bench mem` (in QEMU) and bench/mem.bench.ts (the same code
// compiled to wasm on Node with the host counter).
//
// The counter ticks at 62.5 MHz (16 ns), so one sample times a batch of BATCH alloc+free
// pairs and reports the mean per pair; p50/p99/mean are over the samples. Each benchmark
// prints one JSON line:
//   {"name":"slab_64_alloc_free","unit":"ns","p50":..,"p99":..,"mean":..,"n":..,"batch":64,"where":"qemu"}
//
//   buddy_order0_alloc_free          order-0 alloc+free with an order-0 free block at hand
//                                    (a held page keeps its buddy from merging): the common case
//   buddy_order0_alloc_free_split10  the same with every free block below order 10 fenced off:
//                                    each pair splits an order-10 block 10 times and merges it back
//   buddy_order3_alloc_free          order-3 alloc+free, common case
//   slab_N_alloc_free                kmalloc(N)+kfree in a warm class (one object held)
import { allocPages, freePages, memoryReady } from "./pages";
import { kmalloc, kfree, slabReleaseEmpty } from "./slab";
import { MAX_ORDER, firstFreeBlock, takeFreeBlock, returnBlock } from "./buddy";
import { counter } from "../platform/imports";
import { counterHz } from "../platform/time";
import { fixed } from "../lib/format";
import { percentileSorted } from "../lib/stats"; // nearest rank, as bench/lib.ts computes it

export const BATCH: i32 = 64;
export const DEFAULT_SAMPLES: i32 = 2000;

const KIND_BUDDY: i32 = 0;
const KIND_SLAB: i32 = 1;

function sampleBatch(kind: i32, arg: u32): f64 {
  const t0 = counter();
  if (kind == KIND_BUDDY) {
    for (let i = 0; i < BATCH; i++) {
      const a = allocPages(arg);
      freePages(a, arg);
    }
  } else {
    for (let i = 0; i < BATCH; i++) {
      const p = kmalloc(<usize>arg);
      kfree(p);
    }
  }
  const t1 = counter();
  return <f64>(t1 - t0) * 1e9 / <f64>counterHz() / <f64>BATCH;
}

function measure(name: string, kind: i32, arg: u32, samples: i32, where: string): string {
  const values = new Array<f64>(samples);
  for (let i = 0; i < 8; i++) sampleBatch(kind, arg); // warm up
  let sum: f64 = 0;
  for (let i = 0; i < samples; i++) {
    const v = sampleBatch(kind, arg);
    values[i] = v;
    sum += v;
  }
  values.sort();
  return "{\"name\":\"" + name + "\",\"unit\":\"ns\",\"p50\":" + fixed(percentileSorted(values, 50), 1) +
    ",\"p99\":" + fixed(percentileSorted(values, 99), 1) + ",\"mean\":" + fixed(sum / <f64>samples, 1) +
    ",\"n\":" + samples.toString() + ",\"batch\":" + BATCH.toString() + ",\"where\":\"" + where + "\"}";
}


/**
 * Runs every memory benchmark; returns the JSON lines (or one line starting "error:").
 * Leaves the allocator as it found it (empty slabs are returned to the buddy allocator).
 */
export function runMemoryBenchmarks(samples: i32, where: string): Array<string> {
  const out = new Array<string>(0);
  if (!memoryReady()) {
    out.push("error: the page allocator is not initialised");
    return out;
  }
  // common case: hold one block so that its buddy stays free at that order
  const hold0 = allocPages(0);
  const hold3 = allocPages(3);
  if (hold0 == 0 || hold3 == 0) {
    if (hold0 != 0) freePages(hold0, 0);
    if (hold3 != 0) freePages(hold3, 3);
    out.push("error: not enough free memory to benchmark");
    return out;
  }
  out.push(measure("buddy_order0_alloc_free", KIND_BUDDY, 0, samples, where));
  out.push(measure("buddy_order3_alloc_free", KIND_BUDDY, 3, samples, where));
  freePages(hold3, 3);
  freePages(hold0, 0);

  // worst case: fence off every free block below MAX_ORDER
  const fenced = new Array<u32>(0);
  const fencedOrders = new Array<u32>(0);
  for (let k: u32 = 0; k < MAX_ORDER; k++) {
    let page = firstFreeBlock(k);
    while (page != 0) {
      takeFreeBlock(page);
      fenced.push(page);
      fencedOrders.push(k);
      page = firstFreeBlock(k);
    }
  }
  if (firstFreeBlock(MAX_ORDER) != 0) {
    out.push(measure("buddy_order0_alloc_free_split10", KIND_BUDDY, 0, samples, where));
  }
  for (let i = fenced.length - 1; i >= 0; i--) returnBlock(fenced[i], fencedOrders[i]);

  const sizes: StaticArray<u32> = [16, 64, 256, 1024];
  for (let i = 0; i < sizes.length; i++) {
    const held = kmalloc(<usize>sizes[i]);
    out.push(measure("slab_" + sizes[i].toString() + "_alloc_free", KIND_SLAB, sizes[i], samples, where));
    kfree(held);
  }
  slabReleaseEmpty(); // the slabs the benchmark created go back
  return out;
}
