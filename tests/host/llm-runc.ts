// Compares the kernel's language model (the wasm build on Node) with llama2.c's run.c built
// locally: for the same random checkpoints and tokenizers (host/llm-models.ts), greedy text
// from an empty prompt must be identical, and both speeds are printed side by side.
//
//   tsx tests/host/llm-runc.ts [path/to/run.c]
//
// run.c is not part of this repository: give its path (default: the library mirror of
// karpathy/llama2.c, read with `git show`). It is copied to build/runc/ and built there with
// gcc -O3 for this host (x86-64), so its speed is a host reference point, not the issue's
// aarch64 anchor.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { SHAPES, randomWeights, checkpointBytes, makeTokenizer } from "../../host/llm-models.ts";
import { loadLlm, loadBytes } from "../unit/llm/harness.ts";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "../..");
const MIRROR = "/work/.mirror/karpathy+llama2.c/repo";
const dir = path.join(ROOT, "build/runc");
fs.mkdirSync(dir, { recursive: true });
const src = path.join(dir, "run.c");
if (process.argv[2]) fs.copyFileSync(process.argv[2], src);
else fs.writeFileSync(src, execFileSync("git", ["--git-dir", MIRROR, "show", "HEAD:run.c"]));
const bin = path.join(dir, "run");
execFileSync("gcc", ["-O3", "-o", bin, src, "-lm"]);

/** What run.c's safe_printf shows: each piece decoded, single bytes only when printable or space. */
function visible(pieces: Buffer[], ids: number[]): string {
  const out: Buffer[] = [];
  let prev = 1;
  for (const id of ids) {
    let p = pieces[id];
    if (prev === 1 && p[0] === 32) p = p.subarray(1);
    const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(p.toString("latin1"));
    if (m) p = Buffer.from([parseInt(m[1], 16)]);
    prev = id;
    if (p.length === 1 && !(p[0] >= 0x20 && p[0] < 0x7f) && ![9, 10, 11, 12, 13].includes(p[0])) continue;
    out.push(p);
  }
  return Buffer.concat(out).toString("latin1");
}

const k = await loadLlm();
let failures = 0;
for (const name of ["stories260K", "m1", "stories15M"] as const) {
  const s = SHAPES[name];
  const ckpt = path.join(dir, `${name}.bin`), tokPath = path.join(dir, `tok${s.vocab}.bin`);
  const tok = makeTokenizer(s.vocab, 42);
  fs.writeFileSync(ckpt, checkpointBytes(randomWeights(s, 1000 + s.dim)));
  fs.writeFileSync(tokPath, tok.bytes);
  const steps = s.seqLen;
  const r = execFileSync(bin, [ckpt, "-z", tokPath, "-t", "0", "-n", String(steps), "-i", ""], { encoding: "latin1", stdio: ["ignore", "pipe", "pipe"] });
  const e = loadBytes(k, fs.readFileSync(ckpt), fs.readFileSync(tokPath));
  if (e) throw new Error(e);
  const ids = k.exports.generateIds("1", steps, 0, 0.9, 1n).split(",").filter((x: string) => x).map(Number);
  const ours = visible(tok.pieces, ids);
  const runcText = r.replace(/\n$/, "");
  const tokS = ids.length / (Number(k.exports.decodeMicros()) / 1e6);
  k.exports.unload();
  let runcTokS = "?";
  try {
    const err = execFileSync("sh", ["-c", `'${bin}' '${ckpt}' -z '${tokPath}' -t 0 -n ${steps} -i '' 2>&1 >/dev/null`], { encoding: "utf8" });
    runcTokS = err.match(/achieved tok\/s: ([\d.]+)/)?.[1] ?? "?";
  } catch { /* timing only */ }
  const same = ours === runcText;
  if (!same) failures++;
  console.log(`${name}: greedy text from an empty prompt ${same ? "identical" : "DIFFERENT"} (${ids.length} tokens, ${runcText.length} chars); ` +
    `run.c gcc -O3 x86-64 host ${runcTokS} tok/s, kernel wasm on Node ${tokS.toFixed(0)} tok/s`);
  if (!same) {
    let at = 0;
    while (at < ours.length && ours[at] === runcText[at]) at++;
    console.log(`  first difference at char ${at}: run.c ${JSON.stringify(runcText.slice(at, at + 60))}, ours ${JSON.stringify(ours.slice(at, at + 60))}`);
  }
}
process.exit(failures ? 1 : 0);
