// Shared by the target tests: boot a session per suite, print the serial log of failures.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { QemuSession, SessionOptions, ROOT, logTail } from "../../host/qemu.ts";

export function requireImage(): void {
  for (const f of ["build/esp.img", "build/disk.img"]) {
    if (!fs.existsSync(path.join(ROOT, f))) throw new Error(`${f} is missing: run 'make image' first`);
  }
}

/**
 * Boots SIS once for a describe() block; `get()` returns the running session. The serial log
 * is printed when a test in the block fails.
 */
export function bootForSuite(options: SessionOptions = {}): { get: () => QemuSession } {
  let session: QemuSession | undefined;
  before(async function () {
    this.timeout(120000);
    requireImage();
    session = await QemuSession.start(options);
    await session.waitForPrompt();
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed" && session) {
      console.log(`\n--- serial log (last 6000 chars) ---\n${logTail(session.serialLog, 6000)}\n--- end ---`);
    }
  });
  after(async () => {
    await session?.close();
  });
  return { get: () => session! };
}

/** A private copy of an image, removed at exit. */
export function scratchCopy(source: string, name: string): string {
  const dir = fs.mkdtempSync(path.join(ROOT, "build", "scratch-"));
  const copy = path.join(dir, name);
  fs.copyFileSync(source, copy);
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return copy;
}

/** Syncs, powers SIS off and checks the disk image with e2fsck -fn (which must find it clean). */
export async function powerOffAndFsck(session: QemuSession, image: string): Promise<void> {
  assert.equal(await session.run("sync"), "");
  session.type("poweroff\r");
  assert.equal(await session.waitExit(30000), 0);
  const fsck = spawnSync("e2fsck", ["-fn", image], { encoding: "utf8" });
  assert.equal(fsck.status, 0, fsck.stdout + fsck.stderr);
}
