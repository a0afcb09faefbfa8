// The web dashboard in a real browser: Debian's chromium, headless, driven by playwright-core,
// against host/dashboard (its own QEMU with a private disk copy). The page loads without script
// errors; the charts receive points; the autoctl cards show numbers; a question gets an answer
// (or the kernel's clear error when no model/infer is there) and Execute runs a suggested command;
// files with spaces and Unicode are created, viewed and deleted; paths outside and a huge upload
// are refused; one crash run ends "recovered, clean" with e2fsck exit 0 while a second request is
// refused; a file synced before the cut is still there; the page shows "reconnecting" during the
// reboot and comes back; QEMU killed mid-request gives a clear 503, "down" on the page, and a new
// boot brings everything back. Screenshots go to
// build/dashboard-*.png. Skipped (with a message) only when /usr/bin/chromium is absent.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../../host/qemu.ts";
import { Machine } from "../../host/dashboard/machine.ts";
import { DashboardServer } from "../../host/dashboard/server.ts";
import { requireImage } from "./helpers.ts";

const CHROMIUM = "/usr/bin/chromium";
const shot = (name: string) => path.join(ROOT, "build", `dashboard-${name}.png`);

describe("dashboard (chromium + QEMU)", function () {
  this.timeout(120000);
  let machine: Machine;
  let server: DashboardServer;
  let browser: any;
  let page: any;
  let base = "";
  const errors: string[] = [];

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) {
      // make deps installs it: in CI (CI=true) a missing browser fails instead of skipping
      if (process.env.CI) throw new Error(`${CHROMIUM} is missing, and CI must have it (make deps installs Debian's chromium)`);
      console.log(`      skipped: ${CHROMIUM} is missing (make deps installs Debian's chromium)`);
      this.skip();
    }
    requireImage();
    machine = new Machine({ workDir: path.join(ROOT, "build/dashboard-test"), onState: (s, d) => server?.stateChanged(s, d) });
    server = new DashboardServer(machine);
    base = `http://127.0.0.1:${await server.listen(0)}`;
    machine.prepareDisk();
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
    page = await browser.newPage({ viewport: { width: 1440, height: 1300 } });
    page.on("pageerror", (e: Error) => errors.push(`pageerror: ${e.message}`));
    page.on("console", (m: any) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
    page.on("dialog", (d: any) => d.accept());
    await page.goto(base);
    await machine.start(); // the page is open while SIS boots: it shows "booting", then "up"
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await machine?.stop();
    if (machine) fs.rmSync(machine.workDir, { recursive: true, force: true }); // the disk copy (64 MiB)
  });

  it("loads without script errors, shows SIS up and charts receiving points", async () => {
    await page.waitForSelector("#conn[data-state=up]", { timeout: 60000 });
    const first = Number(await page.getAttribute("body", "data-points") ?? 0);
    await page.waitForFunction((n: number) => Number(document.body.dataset.points ?? 0) >= n + 3, first, { timeout: 30000 });
    const drawn = await page.evaluate(() => document.querySelectorAll(".uplot").length);
    assert.equal(drawn, 4, "four charts");
    assert.deepEqual(errors, []);
  });

  it("shows the autoctl report as cards with numbers", async () => {
    await page.waitForSelector('.card[data-metric="OOM model latency p50"]:not(.nodata)', { timeout: 30000 });
    const v = await page.textContent('.card[data-metric="OOM model latency p50"] .value');
    assert.match(v, /^\d+(\.\d+)? (µs|ms)$/);
    const w = await page.textContent('.card[data-metric="Window"] .value');
    assert.match(w, /^\d+ s$/);
    // autoctl export-metrics writes the same report as JSON on ext4
    const ex = await machine.shell("autoctl export-metrics /ai-metrics.json");
    assert.equal(ex.status, 0, ex.output);
    const doc = JSON.parse((await machine.files("GET", "/ai-metrics.json")).bytes!.toString("utf8"));
    assert.equal(doc.format, "sis-ai-metrics");
    assert.ok(doc.latency_us.oom.n > 0);
    // give the AI cards something to measure: the attention policy under a mixed workload
    await page.click('[data-action="attention"]');
    await page.waitForFunction(() => /policy/.test(document.getElementById("control-msg")!.textContent ?? ""), null, { timeout: 30000 });
    await page.click('[data-action="workload"]');
  });

  it("answers a question (or shows the kernel's error) and Execute runs the suggestion", async () => {
    await page.fill("#question", "how much memory is free?");
    await page.click("#ask");
    await page.waitForFunction(() => document.getElementById("answer")!.textContent !== "thinking…", null, { timeout: 90000 });
    const answer = (await page.textContent("#answer")) as string;
    const isError = await page.evaluate(() => document.getElementById("answer")!.classList.contains("error"));
    if (isError) {
      assert.match(answer, /^error: /, "the kernel's own one-line error, not made-up text");
      console.log(`      no answer from the kernel: ${answer.split("\n")[0]}`);
    } else {
      assert.ok(answer.length > 0);
      if (await page.isVisible("#suggestion")) {
        await page.click("#execute");
        await page.waitForFunction(() => /exit status \d+/.test(document.getElementById("exec-output")!.textContent ?? ""), null, { timeout: 60000 });
      }
    }
    // Execute refuses what the model did not suggest
    const r = await page.evaluate(async () => (await fetch("/api/execute", { method: "POST", body: JSON.stringify({ command: "rm -r /" }) })).status);
    assert.equal(r, 400);
    await page.screenshot({ path: shot("question"), fullPage: true });
  });

  it("creates, views, uploads, browses and deletes files named with spaces and Unicode; refuses paths outside and huge uploads", async () => {
    const name = "grüße aus SIS ✓.txt";
    await page.waitForSelector('#listing tr[data-name="crash"]', { timeout: 30000 });
    await page.fill("#new-name", name);
    await page.fill("#new-text", "héllo from the browser");
    await page.click("#create");
    await page.waitForSelector(`#listing tr[data-name="${name}"]`, { timeout: 30000 });
    await page.click(`#listing tr[data-name="${name}"] a`);
    await page.waitForFunction(() => /héllo from the browser/.test(document.getElementById("viewer")!.textContent ?? ""), null, { timeout: 30000 });
    await page.screenshot({ path: shot("files"), fullPage: true });
    await page.click(`#listing tr[data-name="${name}"] button`);
    await page.waitForSelector(`#listing tr[data-name="${name}"]`, { state: "detached", timeout: 30000 });
    // browse into /crash and upload a small file there through the file input
    await page.click('#listing tr[data-name="crash"] a');
    await page.waitForSelector('#listing tr[data-name="payload.bin"]', { timeout: 30000 });
    assert.equal(await page.textContent("#cwd"), "/crash");
    await page.setInputFiles("#upload", { name: "notes ünïcode.txt", mimeType: "text/plain", buffer: Buffer.from("uploaded ✓\n") });
    await page.waitForSelector('#listing tr[data-name="notes ünïcode.txt"]', { timeout: 30000 });
    const up = await machine.files("GET", "/crash/notes ünïcode.txt");
    assert.equal(up.bytes!.toString("utf8"), "uploaded ✓\n");
    await page.setInputFiles("#upload", { name: "huge.bin", mimeType: "application/octet-stream", buffer: Buffer.alloc(1 << 20) });
    await page.waitForFunction(() => /limited to 60 KiB/.test(document.getElementById("file-msg")!.textContent ?? ""), null, { timeout: 10000 });
    await page.click("#up");
    await page.waitForSelector('#listing tr[data-name="crash"]', { timeout: 30000 });
    const refused = await page.evaluate(async () => {
      const out: any[] = [];
      for (const p of ["/../etc/passwd", "relative.txt", "/tmp/x"]) {
        const r = await fetch("/api/files?path=" + encodeURIComponent(p));
        out.push([r.status, (await r.json()).error]);
      }
      const big = await fetch("/api/files?path=/big.bin", { method: "PUT", body: new Uint8Array(2 << 20) });
      out.push([big.status, (await big.json()).error]);
      return out;
    });
    assert.deepEqual(refused.map((x: any) => x[0]), [400, 400, 400, 413]);
    assert.match(refused[0][1], /'\.\.' is not allowed/);
    assert.match(refused[3][1], /too large/);
    // SIS checks again by itself (/api/files without the dashboard in front), and wants the token
    for (const [p, msg] of [["/../etc/passwd", /'\.\.' is not allowed/], ["relative", /absolute/], ["/tmp/x", /not on the system disk/]] as const) {
      const r = await machine.files("GET", p);
      assert.equal(r.status, 400, p);
      assert.match(r.json.error, msg, p);
    }
    const noToken = await fetch(`http://127.0.0.1:${machine.port}/api/files?path=/etc/api-token`);
    assert.equal(noToken.status, 401);
    await page.screenshot({ path: shot("overview"), fullPage: true });
  });

  it("cuts the power mid-write: SIS recovers, verify and e2fsck clean, the file whole or absent; runs serialised", async () => {
    // a file saved through the file manager (PUT fsyncs it) before the cut must survive it
    const saved = await page.evaluate(async () => (await fetch("/api/files?path=/synced%20before%20the%20cut.txt",
      { method: "PUT", body: "kept ✓" })).status);
    assert.equal(saved, 200);
    await page.click("#crash");
    // a second request while the run is in progress is refused, not started
    const second = await page.evaluate(async () => {
      await new Promise((r) => setTimeout(r, 300));
      const r = await fetch("/api/crash", { method: "POST" });
      return [r.status, (await r.json()).error];
    });
    assert.equal(second[0], 409, JSON.stringify(second));
    assert.match(second[1], /still in progress/);
    assert.equal(await page.isDisabled("#crash"), true, "the button is disabled during a run");
    await page.waitForSelector("#crash-verdict", { timeout: 100000 });
    const verdict = await page.textContent("#crash-verdict");
    const run = server.crash.history[0];
    assert.match(verdict, /recovered, clean/, JSON.stringify(run));
    assert.equal(run.fsck.exit, 0);
    assert.ok(run.file === "whole" || run.file === "absent");
    await page.waitForSelector("#conn[data-state=up]", { timeout: 30000 });
    const seen = await page.evaluate(() => (window as any).statesSeen);
    assert.ok(seen.includes("reconnecting"), `states seen: ${seen}`);
    assert.match(await page.textContent("#crash-history tbody tr td:last-child"), /recovered, clean/);
    const kept = await page.evaluate(async () => (await (await fetch("/api/files?path=/synced%20before%20the%20cut.txt")).json()).text);
    assert.equal(kept, "kept ✓", "what was synced before the cut is still there");
    console.log(`      crash run: cut ${run.cutAfterMs} ms (${run.phase}), replay ${run.replayedTransactions} tx in ${run.replayMs} ms, reboot ${run.rebootMs} ms, file ${run.file}`);
    await page.screenshot({ path: shot("crash"), fullPage: true });
  });

  it("SIS gone mid-request: a clear 503, the page says so, and everything works again after a new boot", async () => {
    const pending = page.evaluate(async () => {
      const r = await fetch("/api/files?path=/crash/payload.bin");
      return [r.status, (await r.json()).error];
    });
    await new Promise((r) => setTimeout(r, 50));
    machine.session!.kill(); // QEMU gone (only the process this test started)
    const [status, error] = await pending;
    assert.ok(status === 503 || status === 200, `status ${status}`); // 200: the read finished first
    if (status === 503) assert.match(error, /SIS (is not running|did not answer)/);
    await page.waitForSelector("#conn[data-state=down]", { timeout: 15000 });
    const refused = await page.evaluate(async () => (await fetch("/api/files?path=/")).status);
    assert.equal(refused, 503);
    await machine.start();
    await page.waitForSelector("#conn[data-state=up]", { timeout: 30000 });
    const back = await page.evaluate(async () => (await (await fetch("/api/files?path=/synced%20before%20the%20cut.txt")).json()).text);
    assert.equal(back, "kept ✓");
    assert.deepEqual(errors.filter((e) => !/Failed to load resource/.test(e)), []);
  });
});
