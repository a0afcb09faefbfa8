// Answer slots: the domain model writes "$frag", "$free", "$big"... where its answer cites a
// number, and the kernel puts in that value from the state line the prompt carried. The model
// decides what to say, which numbers to cite and which command is right (it has to read the
// numbers for that: the rules compare them to thresholds); copying 3-4 digit numbers token by
// token is what a model this small got wrong most (README "Domain model").
//   $free $total $freepct $frag $big $oom $ev $policy $run $sw $used $hit $uptime $tasks $trace

/** The slot values of a state line (state.ts format); missing fields stay out of the map. */
export function slotValues(state: string): Map<string, string> {
  const m = new Map<string, string>();
  const w = state.split(" ");
  for (let i = 0; i + 1 < w.length; i++) {
    const k = w[i], v = w[i + 1];
    if (k == "mem") {
      const slash = v.indexOf("/");
      if (slash > 0) {
        const free = v.substring(0, slash), total = v.substring(slash + 1);
        m.set("free", free);
        m.set("total", total);
        const f = I64.parseInt(free), t = I64.parseInt(total);
        m.set("freepct", t > 0 ? ((f * 100 + t / 2) / t).toString() : "0");
      }
    } else if (k == "big") {
      const unit = v.endsWith("M") ? " MiB" : " KiB";
      m.set("big", v.substring(0, v.length - 1) + unit);
    } else if (k == "uptime") {
      const u = v.charAt(v.length - 1);
      const n = v.substring(0, v.length - 1);
      m.set("uptime", n + (u == "m" ? " minutes" : u == "h" ? " hours" : " days"));
    } else if (k == "sched") m.set("policy", v);
    else if (k == "vda") m.set("used", v);
    else if (k == "frag" || k == "oom" || k == "ev" || k == "run" || k == "sw" || k == "hit" || k == "tasks" || k == "trace") m.set(k, v);
  }
  return m;
}

function isLetter(c: i32): bool { return (c >= 97 && c <= 122) || (c >= 65 && c <= 90); }

/** `text` with every known $slot replaced by its value; unknown ones are left as written. */
export function fillSlots(text: string, values: Map<string, string>): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c != 36) { out += String.fromCharCode(c); i++; continue; }
    let j = i + 1;
    while (j < text.length && isLetter(text.charCodeAt(j))) j++;
    const name = text.substring(i + 1, j);
    out += values.has(name) ? values.get(name) : text.substring(i, j);
    i = j;
  }
  return out;
}
