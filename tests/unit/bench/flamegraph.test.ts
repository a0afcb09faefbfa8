// make profile's drawing (host/profile/flamegraph.ts): folded stacks in, a flame graph whose
// frame widths are the sample shares, speedscope JSON whose samples/weights add up, top-N.
import assert from "node:assert/strict";
import { parseFolded, buildTree, flameGraphSvg, speedscopeJson, topSelf } from "../../../host/profile/flamegraph.ts";

const FOLDED = "kmain;exec;lookup;cache 3\r\nkmain;exec;lookup;alloc 2\nkmain;exec 1\nnot a line\n";

describe("bench: flame graphs", function () {
  it("parses folded stacks and builds the call tree", function () {
    const s = parseFolded(FOLDED);
    assert.deepEqual(s.map((x) => x.count), [3, 2, 1]);
    const t = buildTree(s);
    assert.equal(t.value, 6);
    const lookup = t.children.get("kmain")!.children.get("exec")!.children.get("lookup")!;
    assert.equal(lookup.value, 5);
    assert.deepEqual([...lookup.children.keys()], ["cache", "alloc"]);
  });

  it("draws widths proportional to samples", function () {
    const svg = flameGraphSvg(parseFolded(FOLDED), "t <x>", 1210);
    assert.match(svg, /<title>t &lt;x&gt;|t &lt;x&gt;/);
    const width = (name: string) => Number(svg.match(new RegExp(`<title>${name}: \\d+ samples[^<]*</title><rect x="[\\d.]+" y="\\d+" width="([\\d.]+)"`))![1]);
    assert.equal(width("all"), 1190); // 1210 - 2 * 10 padding
    assert.ok(Math.abs(width("lookup") - 1190 * 5 / 6) < 0.01);
    assert.ok(Math.abs(width("alloc") - 1190 * 2 / 6) < 0.01);
    assert.match(svg, /<title>cache: 3 samples \(50\.00%\)<\/title>/);
  });

  it("speedscope JSON and top self", function () {
    const j = JSON.parse(speedscopeJson(parseFolded(FOLDED), "n"));
    assert.equal(j.profiles[0].type, "sampled");
    assert.deepEqual(j.profiles[0].weights, [3, 2, 1]);
    assert.equal(j.profiles[0].endValue, 6);
    assert.deepEqual(j.profiles[0].samples[1].map((i: number) => j.shared.frames[i].name), ["kmain", "exec", "lookup", "alloc"]);
    assert.deepEqual(topSelf(parseFolded(FOLDED), 2), [["cache", 3, 3], ["alloc", 2, 2]]);
  });
});
