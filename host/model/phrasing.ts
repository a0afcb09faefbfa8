// Turns a question template into a concrete question: inline choices, chatty or terse
// wrappers, word-order changes, dropped stop words, case, punctuation and random typos.
// Wrappers are split into training and held-out sets like the templates.

export type Rnd = () => number;

/** Expands "(a|b|c)" choices (no nesting). */
export function expand(t: string, rnd: Rnd): string {
  return t.replace(/\(([^()]*)\)/g, (_, alts: string) => {
    const a = alts.split("|");
    return a[Math.floor(rnd() * a.length)];
  });
}

const PREFIX_TRAIN = ["", "", "", "", "hey ", "hi, ", "please ", "can you tell me ", "tell me ", "I want to know ", "quick question: ",
  "so ", "ok ", "sis, ", "could you check ", "do you know ", "I wonder ", "question: ", "um ", "yo ", "hello, ", "just curious, "];
export const PREFIX_HELD = ["", "", "hey there, ", "would you tell me ", "any idea ", "right, ", "excuse me, ", "need to know: "];
// training-only extras (the held-out path draws exactly what it drew before they existed)
const PREFIX_MORE = ["hey sis, ", "can u tell me ", "I'd like to know ", "mind telling me ", "wondering: ", "help: ", "question - ",
  "pls tell me ", "could you find out ", "lemme know ", "what do you think, ", "admin here: ", "one thing: ", "ok so ", "sorry, ",
  "hmm ", "btw ", "also ", "and ", "quick one: ", "sis: ", "hello sis, ", "hi there ", "good morning, ", "dear sis, ", "look, ",
  "can i ask ", "tell me please ", "check: ", "q: ", "well ", "so um ", "hey, quick question, ", "now ", "ok, ", "alright ", "yes, "];
const SUFFIX_MORE = [" thanks!", " cheers", " ty", " real quick", " if possible", " when you get a chance", " for the record", " or not",
  " in short", " briefly", " :)", " lol", " now please", " quickly", " again", " ok?", " right?", " exactly", " overall", " so far",
  " on this box", " on this machine", " here", " please!", " thx!", " ...", " ?!", " or what", " man", " for me please"];
const SUFFIX_TRAIN = ["", "", "", "", "?", "?", "??", " please", " now", " right now", " thanks", ", thx", " at the moment", " currently",
  " today", " for me", ".", "!", " pls", " asap"];
export const SUFFIX_HELD = ["", "?", " please?", " by any chance", " if you can", " thank you"];
const STOP = new Set(["is", "the", "a", "do", "i", "are", "me", "to", "of", "my", "there", "we", "it", "does", "am"]);

// word-level synonyms applied to any template (a phrasing seen with one word is also seen with the others)
const SYNONYMS: string[][] = [
  ["show", "display", "list", "print", "view", "give me", "report"], ["tell me", "let me know", "say", "explain"],
  ["memory", "RAM", "mem", "ram"], ["disk", "drive", "storage", "volume"], ["free", "available", "unused", "spare"],
  ["running", "active", "up"], ["check", "inspect", "look at", "examine"], ["how much", "what amount of"],
  ["system", "machine", "box", "computer", "kernel", "os"], ["is", "is the"], ["status", "state", "info"],
  ["turn on", "enable", "switch on"], ["turn off", "disable", "switch off"], ["processes", "programs"],
  ["right now", "currently", "at the moment"], ["what", "which"], ["are", "r"], ["you", "u"], ["please", "pls", "plz"],
];
// more synonyms, training only (swapped after SYNONYMS, so held-out questions are unchanged)
const SYNONYMS_MORE: string[][] = [
  ["show", "show me", "get", "fetch", "dump", "output", "bring up"], ["how much", "how many MiB of", "what quantity of"],
  ["memory", "RAM", "mem", "ram", "memry", "memmory", "main memory", "system memory"],
  ["disk", "drive", "storage", "volume", "hard disk", "hdd", "ssd", "dsk"], ["free", "available", "unused", "spare", "remaining", "left over"],
  ["check", "inspect", "look at", "examine", "verify", "test", "review", "assess"],
  ["system", "machine", "box", "computer", "kernel", "os", "server", "host", "sis"],
  ["turn on", "enable", "switch on", "activate", "start", "bring up", "fire up"], ["turn off", "disable", "switch off", "deactivate", "stop", "kill", "shut off"],
  ["tasks", "jobs", "threads", "processes"], ["programs", "apps", "applications", "binaries"], ["scheduler", "sched", "scheduling", "schedular", "sheduler"],
  ["what is", "what's", "whats", "wats"], ["how is", "how's", "hows"], ["do I", "do we", "does the system", "can I"],
  ["fragmented", "fragmentated", "fragmented badly", "in pieces"], ["full", "filled up", "at capacity"], ["busy", "loaded", "under load"],
  ["events", "incidents", "occurrences"], ["list", "enumerate", "print", "name"], ["running", "executing", "alive"],
];
const FILLERS = ["actually", "currently", "really", "the", "now", "sis", "system", "just", "exactly", "still", "again", "kindly"];

function swapSynonyms(q: string, rnd: Rnd, groups: string[][] = SYNONYMS): string {
  let out = " " + q + " ";
  for (const group of groups) {
    if (rnd() < 0.5) continue;
    for (const w of group) {
      const re = new RegExp(`(?<=[ (])${w.replace(/ /g, " ")}(?=[ ?.,!])`, "i");
      if (re.test(out)) { out = out.replace(re, group[Math.floor(rnd() * group.length)]); break; }
    }
  }
  return out.trim();
}

const KEYS = "qwertyuiop asdfghjkl zxcvbnm";
function neighbour(c: string, rnd: Rnd): string {
  const i = KEYS.indexOf(c.toLowerCase());
  if (i < 0) return c;
  const cand = [KEYS[i - 1], KEYS[i + 1]].filter((x) => x && x !== " ");
  return cand.length ? cand[Math.floor(rnd() * cand.length)] : c;
}

/** One typo in a word of >= 4 letters: swap, drop, double or a neighbouring key. */
export function typo(q: string, rnd: Rnd): string {
  const words = q.split(" ");
  const idx = words.map((w, i) => (/[a-z]{4,}/i.test(w) ? i : -1)).filter((i) => i >= 0);
  if (idx.length === 0) return q;
  const wi = idx[Math.floor(rnd() * idx.length)];
  const w = words[wi];
  const p = 1 + Math.floor(rnd() * (w.length - 2));
  const k = Math.floor(rnd() * 4);
  let o = w;
  if (k === 0) o = w.slice(0, p) + w[p + 1] + w[p] + w.slice(p + 2);
  else if (k === 1) o = w.slice(0, p) + w.slice(p + 1);
  else if (k === 2) o = w.slice(0, p) + w[p] + w.slice(p);
  else o = w.slice(0, p) + neighbour(w[p], rnd) + w.slice(p + 1);
  words[wi] = o;
  return words.join(" ");
}

/** A concrete question from a template; `held` uses the held-out wrappers. */
export function compose(template: string, rnd: Rnd, held: boolean): string {
  let q = swapSynonyms(expand(template, rnd).trim(), rnd);
  if (!held) {
    q = swapSynonyms(q, rnd, SYNONYMS_MORE);
    // training only: swap two neighbouring words now and then
    if (rnd() < 0.1) {
      const w = q.split(" ");
      if (w.length >= 3) { const i = Math.floor(rnd() * (w.length - 1)); [w[i], w[i + 1]] = [w[i + 1], w[i]]; q = w.join(" "); }
    }
  }
  // word dropout and filler words: no single word may be the only cue
  const wd = rnd();
  if (wd < 0.15) {
    const w = q.split(" ");
    if (w.length >= 3) { w.splice(Math.floor(rnd() * w.length), 1); q = w.join(" "); }
  } else if (wd < 0.3) {
    const w = q.split(" ");
    w.splice(Math.floor(rnd() * (w.length + 1)), 0, FILLERS[Math.floor(rnd() * FILLERS.length)]);
    q = w.join(" ");
  }
  const r = rnd();
  if (r < 0.12) {
    // terse: drop stop words
    const kept = q.split(" ").filter((w) => !STOP.has(w.toLowerCase()));
    if (kept.length > 0) q = kept.join(" ");
  } else if (r < 0.2) {
    // word order: move the last word or two to the front
    const w = q.split(" ");
    if (w.length >= 3) { const n = 1 + Math.floor(rnd() * 2); q = [...w.slice(w.length - n), ...w.slice(0, w.length - n)].join(" "); }
  }
  const pre = held ? PREFIX_HELD : PREFIX_TRAIN.concat(PREFIX_MORE), suf = held ? SUFFIX_HELD : SUFFIX_TRAIN.concat(SUFFIX_MORE);
  q = pre[Math.floor(rnd() * pre.length)] + q.replace(/\?$/, "") + suf[Math.floor(rnd() * suf.length)];
  const c = rnd();
  if (c < 0.15) q = q.toLowerCase();
  else if (c < 0.25) q = q[0].toUpperCase() + q.slice(1);
  else if (c < 0.28) q = q.toUpperCase();
  const t = rnd();
  // training sees a few more typos (up to 3) than the held-out questions
  const typos = held ? (t < 0.55 ? 0 : t < 0.85 ? 1 : 2) : (t < 0.45 ? 0 : t < 0.75 ? 1 : t < 0.93 ? 2 : 3);
  for (let i = 0; i < typos; i++) q = typo(q, rnd);
  return q.replace(/\s+/g, " ").trim();
}
