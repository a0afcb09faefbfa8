// The dashboard page: charts fed by the WebSocket, autoctl cards, the question box, the file
// manager and the crash demo. Plain browser JavaScript, no build step; uPlot draws the charts.
"use strict";
const $ = (id) => document.getElementById(id);
const WINDOW_S = 300;

// ---------------------------------------------------------------- charts
const charts = {};
const data = { latency: [[], [], [], []], oom: [[], []], mem: [[], [], []], io: [[], []] };
function chartOpts(el, series, scales) {
  const width = Math.max(240, el.clientWidth - 16);
  return {
    width, height: 170, series: [{}, ...series], scales: scales || {},
    axes: [
      { stroke: "#8795a5", grid: { stroke: "#1f2a36" }, ticks: { stroke: "#1f2a36" } },
      { stroke: "#8795a5", grid: { stroke: "#1f2a36" }, ticks: { stroke: "#1f2a36" }, size: 48 },
      ...(series.some((s) => s.scale === "r") ? [{ scale: "r", side: 1, stroke: "#8795a5", grid: { show: false }, size: 40 }] : []),
    ],
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
  };
}
function makeCharts() {
  const line = (label, stroke, extra) => Object.assign({ label, stroke, width: 1.6, spanGaps: false, points: { show: false } }, extra || {});
  charts.latency = new uPlot(chartOpts($("chart-latency"), [
    line("fair (mean)", "#4fb3ff"), line("attention (mean)", "#c792ea"), line("OOM model p50", "#f5b941")]), data.latency, $("chart-latency"));
  charts.oom = new uPlot(chartOpts($("chart-oom"), [line("confidence", "#ff6b6b", { fill: "rgba(255,107,107,.12)" })],
    { y: { range: [0, 1] } }), data.oom, $("chart-oom"));
  charts.mem = new uPlot(chartOpts($("chart-mem"), [line("free MiB", "#3ecf8e"), line("fragmentation", "#f5b941", { scale: "r" })],
    { r: { range: [0, 1] } }), data.mem, $("chart-mem"));
  charts.io = new uPlot(chartOpts($("chart-io"), [line("MiB/s", "#4fb3ff", { fill: "rgba(79,179,255,.12)" })]), data.io, $("chart-io"));
}
let pointsSeen = 0;
function addPoint(p) {
  const t = p.t / 1000;
  const push = (arr, vals) => { arr[0].push(t); vals.forEach((v, i) => arr[i + 1].push(v)); };
  push(data.latency, [p.latencyFairUs, p.latencyAttentionUs, p.oomInferenceUs]);
  push(data.oom, [p.oomConfidence]);
  push(data.mem, [p.freeMiB, p.fragmentation]);
  push(data.io, [p.ioMiBps]);
  for (const arr of Object.values(data)) {
    while (arr[0].length && arr[0][0] < t - WINDOW_S) arr.forEach((a) => a.shift());
  }
  pointsSeen++;
  document.body.dataset.points = String(pointsSeen);
}
function redraw() {
  for (const [k, c] of Object.entries(charts)) c.setData(data[k]);
}
window.addEventListener("resize", () => {
  for (const [k, c] of Object.entries(charts)) c.setSize({ width: Math.max(240, $("chart-" + k).clientWidth - 16), height: 170 });
});

// ---------------------------------------------------------------- connection
let machineState = "booting";
const statesSeen = (window.statesSeen = []); // read by tests/target/dashboard.test.ts
function showState(state, detail) {
  machineState = state;
  if (statesSeen[statesSeen.length - 1] !== state) statesSeen.push(state);
  const el = $("conn");
  el.dataset.state = state;
  el.className = "badge " + (state === "up" ? "ok" : state === "down" ? "bad" : "wait");
  el.textContent = state === "up" ? "SIS up" : state === "reconnecting" ? "reconnecting…" : state === "booting" ? "SIS booting…" : "SIS down";
  el.title = detail || "";
}
let ws = null;
let retry = 500;
function connect() {
  ws = new WebSocket(`ws://${location.host}/ws`);
  ws.onopen = () => { retry = 500; };
  ws.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    if (m.type === "hello") {
      showState(m.state, m.detail);
      for (const a of Object.values(data)) a.forEach((x) => (x.length = 0));
      m.points.forEach(addPoint);
      redraw();
      if (m.metrics) renderCards(m.metrics);
      renderHistory(m.history || []);
      if (m.running) crashBusy(true, `run ${m.running} in progress…`);
    } else if (m.type === "point") { addPoint(m.point); redraw(); }
    else if (m.type === "state") showState(m.state, m.detail);
    else if (m.type === "metrics") renderCards(m.metrics);
    else if (m.type === "crash") {
      if (m.message) $("crash-progress").textContent = m.message;
      if (m.history) renderHistory(m.history);
    }
  };
  ws.onclose = () => {
    showState("reconnecting", "dashboard server connection lost");
    setTimeout(connect, retry);
    retry = Math.min(retry * 2, 5000);
  };
}

async function api(method, url, body, raw) {
  let r;
  try {
    r = await fetch(url, { method, body: raw ? body : body === undefined ? undefined : JSON.stringify(body),
      headers: raw ? { "content-type": "application/octet-stream" } : { "content-type": "application/json" } });
  } catch (e) {
    return { status: 0, body: { error: "the dashboard server did not answer (" + e.message + ")" } };
  }
  let parsed;
  try { parsed = await r.json(); } catch { parsed = { error: "HTTP " + r.status }; }
  return { status: r.status, body: parsed };
}

// ---------------------------------------------------------------- autoctl cards
const fmt = {
  us: (v) => (v == null ? null : v >= 1000 ? (v / 1000).toFixed(2) + " ms" : v.toFixed(1) + " µs"),
  pct: (v) => (v == null ? null : (v * 100).toFixed(1) + "%"),
  signed: (v) => (v == null ? null : (v >= 0 ? "+" : "") + (v * 100).toFixed(1) + "%"),
  bytes: (v) => {
    if (v == null) return null;
    const a = Math.abs(v), s = v < 0 ? "-" : "";
    return a >= 1 << 20 ? s + (a / (1 << 20)).toFixed(1) + " MiB" : a >= 1024 ? s + (a / 1024).toFixed(1) + " KiB" : s + a + " B";
  },
};
function card(label, value, detail) {
  const c = document.createElement("div");
  c.className = "card" + (value == null ? " nodata" : "");
  c.dataset.metric = label;
  c.innerHTML = `<div class="label"></div><div class="value"></div><div class="detail"></div>`;
  c.children[0].textContent = label;
  c.children[1].textContent = value == null ? "no data" : value;
  c.children[2].textContent = detail || "";
  return c;
}
function renderCards(r) {
  const cards = [];
  for (const [name, label] of [["attention", "Attention scheduler"], ["oom", "OOM model"], ["llm", "LLM"]]) {
    const l = r.latency_us[name];
    cards.push(card(`${label} latency p50`, l.n ? fmt.us(l.p50) : null, l.n ? `p99 ${fmt.us(l.p99)} · ${l.n} samples` : l.source));
  }
  const f = r.follow_rate;
  cards.push(card("Decision follow rate", fmt.pct(f.overall),
    ["attention", "oom", "llm"].map((k) => `${k} ${f[k].suggestions ? f[k].followed + "/" + f[k].suggestions : "-"}`).join(" · ")));
  const o = r.oom_accuracy;
  cards.push(card("OOM accuracy", o.resolved ? fmt.pct(o.accuracy) : null,
    o.resolved ? `${o.resolved} resolved · tp ${o.tp} fp ${o.fp} tn ${o.tn} fn ${o.fn}` : "no resolved OOM predictions yet"));
  const s = r.scheduler;
  const need = "run the workload under fair and under this policy (200 CPU-ms each)";
  for (const [p, label] of [["attention", "AI sched: context switches"], ["heuristic", "Heuristic: context switches"]]) {
    const c = s[`${p}_vs_fair`];
    cards.push(card(label, fmt.signed(c.context_switches_change), c.context_switches_change == null ? need
      : `vs fair per CPU-second · turnaround ${fmt.signed(c.turnaround_change) ?? "no data"}`));
  }
  const c = r.compaction;
  cards.push(card("Freed by AI compaction", c.count ? fmt.bytes(c.largest_block_gain_bytes) : null,
    c.count ? `${c.count} runs · largest block ${fmt.bytes(c.largest_block_before_bytes)} → ${fmt.bytes(c.largest_block_after_bytes)}` : "no predictor compaction in this window"));
  cards.push(card("Window", r.window_s.toFixed(0) + " s", `policy now: ${r.policy} · fair ${s.fair.wall_s.toFixed(0)} s, attention ${s.attention.wall_s.toFixed(0)} s`));
  $("cards").replaceChildren(...cards);
}

// ---------------------------------------------------------------- question box
let suggested = null;
$("ask-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const q = $("question").value.trim();
  const ans = $("answer");
  $("suggestion").hidden = true;
  $("exec-output").hidden = true;
  if (!q) { ans.className = "answer error"; ans.textContent = "Type a question first."; return; }
  $("ask").disabled = true;
  ans.className = "answer muted";
  ans.textContent = "thinking…";
  const r = await api("POST", "/api/ask", { question: q });
  $("ask").disabled = false;
  const b = r.body;
  if (r.status !== 200 || !b.ok) {
    ans.className = "answer error";
    ans.textContent = b.error || "no answer";
    return;
  }
  ans.className = "answer";
  ans.textContent = b.answer + (b.latency_ms != null ? `\n(${b.latency_ms} ms, ${b.prompt_tokens} prompt + ${b.generated_tokens} generated tokens)` : "");
  suggested = b.command || null;
  if (suggested) {
    $("suggested").textContent = suggested;
    $("suggestion").hidden = false;
  }
});
for (const c of document.querySelectorAll(".chip")) {
  c.addEventListener("click", () => { $("question").value = c.textContent; $("ask-form").requestSubmit(); });
}
$("execute").addEventListener("click", async () => {
  if (!suggested) return;
  $("execute").disabled = true;
  const out = $("exec-output");
  out.hidden = false;
  out.textContent = "running " + suggested + "…";
  const r = await api("POST", "/api/execute", { command: suggested });
  $("execute").disabled = false;
  out.textContent = r.status === 200 ? `$ ${r.body.command}\n${r.body.output}(exit status ${r.body.status})` : "error: " + r.body.error;
});

// ---------------------------------------------------------------- files
let cwd = "/";
const join = (dir, name) => (dir.endsWith("/") ? dir : dir + "/") + name;
function fileMsg(text, kind) {
  const m = $("file-msg");
  m.textContent = text;
  m.className = "msg" + (kind ? " " + kind : "");
}
async function list(dir) {
  const r = await api("GET", "/api/files?path=" + encodeURIComponent(dir));
  if (r.status !== 200 || !r.body.entries) { fileMsg(r.body.error || "cannot list " + dir, "error"); return false; }
  cwd = dir;
  $("cwd").textContent = dir;
  const rows = r.body.entries.sort((a, b) => (a.type === "dir") !== (b.type === "dir") ? (a.type === "dir" ? -1 : 1) : a.name.localeCompare(b.name))
    .map((e) => {
      const tr = document.createElement("tr");
      tr.dataset.name = e.name;
      const a = document.createElement("a");
      a.textContent = e.type === "dir" ? e.name + "/" : e.name;
      a.onclick = () => (e.type === "dir" ? list(join(dir, e.name)) : view(join(dir, e.name)));
      const del = document.createElement("button");
      del.className = "small";
      del.textContent = "delete";
      del.onclick = () => remove(join(dir, e.name));
      const tds = [document.createElement("td"), document.createElement("td"), document.createElement("td")];
      tds[0].append(a);
      tds[1].textContent = e.type === "dir" ? "" : fmt.bytes(e.size);
      tds[2].append(del);
      tr.append(...tds);
      return tr;
    });
  $("listing").tBodies[0].replaceChildren(...rows);
  return true;
}
async function view(p) {
  const r = await api("GET", "/api/files?path=" + encodeURIComponent(p));
  const v = $("viewer");
  v.hidden = false;
  if (r.status !== 200) { v.textContent = "error: " + r.body.error; return; }
  v.textContent = r.body.binary ? `${p}: ${r.body.size} bytes, binary; first 512 bytes:\n${r.body.hex.replace(/(.{64})/g, "$1\n")}`
    : `${p} (${r.body.size} bytes)\n\n${r.body.text}`;
}
async function remove(p) {
  if (!confirm("Delete " + p + "?")) return;
  const r = await api("DELETE", "/api/files?path=" + encodeURIComponent(p));
  if (r.status === 200) fileMsg("deleted " + p, "good"); else fileMsg(r.body.error, "error");
  await list(cwd);
}
async function put(name, body) {
  if (!name) { fileMsg("give the file a name", "error"); return; }
  if (name.includes("/")) { fileMsg("a name cannot contain '/'", "error"); return; }
  const p = join(cwd, name);
  const r = await api("PUT", "/api/files?path=" + encodeURIComponent(p), body, true);
  if (r.status === 200) fileMsg(`wrote ${r.body.bytes} bytes to ${p}`, "good"); else fileMsg(r.body.error, "error");
  await list(cwd);
}
$("create").onclick = () => put($("new-name").value.trim(), new TextEncoder().encode($("new-text").value));
$("upload").onchange = async (ev) => {
  const f = ev.target.files[0];
  ev.target.value = "";
  if (!f) return;
  if (f.size > 60 * 1024) { fileMsg(`${f.name} is ${fmt.bytes(f.size)}: uploads are limited to 60 KiB`, "error"); return; }
  await put(f.name, new Uint8Array(await f.arrayBuffer()));
};
$("up").onclick = () => { if (cwd !== "/") list(cwd.slice(0, cwd.lastIndexOf("/")) || "/"); };

// ---------------------------------------------------------------- crash demo
function crashBusy(on, text) {
  $("crash").disabled = on;
  if (text) $("crash-progress").textContent = text;
}
function renderHistory(h) {
  const rows = h.map((r) => {
    const tr = document.createElement("tr");
    const cells = [r.id, `${r.cutAfterMs} ms · ${r.phase}`, r.replayMs == null ? "nothing to replay" : `${r.replayedTransactions} tx, ${r.replayedBlocks} blocks, ${r.replayMs} ms`,
      (r.rebootMs / 1000).toFixed(1) + " s", r.verify.status === 0 ? "clean" : "problems", "exit " + r.fsck.exit, r.file, r.verdict];
    for (const c of cells) { const td = document.createElement("td"); td.textContent = c; tr.append(td); }
    tr.lastChild.className = r.ok ? "verdict-ok" : "verdict-bad";
    return tr;
  });
  $("crash-history").tBodies[0].replaceChildren(...rows);
}
function renderRun(r) {
  const items = [
    ["Power cut", `${r.cutAfterMs} ms after the copy began`, `while ${r.phase} (${r.commandsDone} of 4 commands done)`],
    ["Journal replay", r.replayMs == null ? "nothing to replay" : `${r.replayedTransactions} transaction${r.replayedTransactions === 1 ? "" : "s"}`, r.replayMs == null ? "the journal was clean" : `${r.replayedBlocks} blocks in ${r.replayMs} ms`],
    ["Reboot to API", (r.rebootMs / 1000).toFixed(2) + " s", "system_reset to the prompt and API"],
    ["fsctl verify", r.verify.status === 0 ? "clean" : "problems", r.verify.output.split("\n")[0]],
    ["e2fsck -fn (host)", "exit " + r.fsck.exit, r.fsck.output.split("\n").find((l) => / files \(/.test(l)) || r.fsck.output.split("\n").slice(-1)[0]],
    ["File", r.file, r.fileDetail],
  ];
  const wrap = document.createElement("div");
  wrap.className = "crash-detail";
  for (const [l, v, d] of items) {
    const c = card(l, v, d);
    if ((l === "File" && v === "partial") || (l.startsWith("e2fsck") && r.fsck.exit !== 0) || (l === "fsctl verify" && r.verify.status !== 0)) c.classList.add("bad");
    wrap.append(c);
  }
  const verdict = document.createElement("div");
  verdict.id = "crash-verdict";
  verdict.className = r.ok ? "verdict-ok" : "verdict-bad";
  verdict.textContent = `Run ${r.id}: ${r.verdict}`;
  $("crash-last").replaceChildren(verdict, wrap);
}
$("crash").onclick = async () => {
  crashBusy(true, "starting…");
  const r = await api("POST", "/api/crash");
  crashBusy(false);
  if (r.status === 200) { renderRun(r.body); $("crash-progress").textContent = "done: " + r.body.verdict; await list(cwd); }
  else { $("crash-progress").textContent = "error: " + r.body.error; $("crash-progress").className = "msg error"; }
};

// ---------------------------------------------------------------- scheduler controls
for (const b of document.querySelectorAll("[data-action]")) {
  b.addEventListener("click", async () => {
    b.disabled = true;
    const r = await api("POST", "/api/control", { action: b.dataset.action });
    b.disabled = false;
    const out = r.status === 200 ? (r.body.output || "").trim().split("\n")[0] : "error: " + r.body.error;
    $("control-msg").textContent = out;
  });
}

// ---------------------------------------------------------------- start
makeCharts();
connect();
(async function firstListing() {
  for (;;) {
    if (machineState === "up" && (await list("/"))) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
})();
