// Which base model an adapter belongs to: the SHA-256 of the model file's bytes, computed
// once per loaded model (the file is read again in 64 KiB chunks; checkpoint() keeps the
// kernel responsive meanwhile) and remembered for that model.
import { FileReader } from "../../fs/file_reader";
import { LoadedModel } from "../engine";
import { Sha256 } from "../../lib/sha256";
import { checkpoint } from "../../sched/checkpoint";

let cachedFor: LoadedModel | null = null;
let cachedSha: string = "";

/** SHA-256 (hex) of all of r, or "" when a read fails. */
export function fileSha256(r: FileReader): string {
  const h = new Sha256();
  const CHUNK: u32 = 65536;
  const buf = heap.alloc(CHUNK);
  const size = r.size();
  let at: u64 = 0;
  let ok = true;
  while (at < size) {
    const n = size - at < <u64>CHUNK ? <u32>(size - at) : CHUNK;
    if (!r.readFully(at, buf, n)) { ok = false; break; }
    h.update(buf, n);
    at += n;
    checkpoint();
  }
  heap.free(buf);
  return ok ? h.digestHex() : "";
}

/** The loaded model's SHA-256, from the cache or by reading r (its file). */
export function modelSha256(lm: LoadedModel, r: FileReader): string {
  if (cachedFor === lm) return cachedSha;
  const s = fileSha256(r);
  if (s.length > 0) { cachedFor = lm; cachedSha = s; }
  return s;
}

/** Tests and the loader of in-memory models: the SHA-256 is known. */
export function setModelSha256(lm: LoadedModel, sha: string): void { cachedFor = lm; cachedSha = sha; }
export function knownModelSha256(lm: LoadedModel): string { return cachedFor === lm ? cachedSha : ""; }
