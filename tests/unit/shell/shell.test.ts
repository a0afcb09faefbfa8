// The shell's pieces on Node: tokenizer, line editor, formatting, and the commands through
// the registry, with console output captured by the host platform.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { loadKernelModule, KernelModule } from "../../host/compile.ts";

const ENTRY = "tests/unit/shell/shell.entry.ts";
let k: KernelModule<any>;
const SEP = "\u0001";

before(async () => {
  k = await loadKernelModule(ENTRY);
});

describe("command-line parser", () => {
  const words = (line: string) => k.exports.parse(line).split(SEP);
  it("splits on spaces and tabs, ignoring runs of them", () => {
    assert.deepEqual(words("  ls \t -l   /etc "), ["ls", "-l", "/etc"]);
  });
  it("groups double-quoted text and handles \\\" and \\\\ inside", () => {
    assert.deepEqual(words('echo "a b" "x\\"y" "back\\\\slash"'), ["echo", "a b", 'x"y', "back\\slash"]);
  });
  it("keeps single-quoted text literally", () => {
    assert.deepEqual(words("echo 'a \\n \"b\"'"), ["echo", 'a \\n "b"']);
  });
  it("joins adjacent quoted and plain parts into one word; empty quotes give an empty word", () => {
    assert.deepEqual(words('a"b c"d \'\' ""'), ["ab cd", "", ""]);
  });
  it("escapes a space with a backslash outside quotes", () => {
    assert.deepEqual(words("cat my\\ file"), ["cat", "my file"]);
  });
  it("reports unterminated quotes and a trailing backslash as errors", () => {
    assert.equal(k.exports.parse('echo "abc'), "ERROR:unterminated double quote");
    assert.equal(k.exports.parse("echo 'abc"), "ERROR:unterminated single quote");
    assert.equal(k.exports.parse("echo abc\\"), "ERROR:trailing backslash");
  });
  it("refuses more than 256 words", () => {
    assert.match(k.exports.parse("x ".repeat(300)), /^ERROR:too many arguments/);
  });
  it("returns no words for an empty or blank line", () => {
    assert.equal(k.exports.parse(""), "");
    assert.equal(k.exports.parse("   \t "), "");
  });
});

describe("line editor", () => {
  beforeEach(() => k.exports.editorReset());
  const feed = (s: string) => k.exports.editorFeed(s);

  it("echoes typed text and submits on Enter (CR, LF, or CR LF once)", () => {
    assert.equal(feed("ls -l\r\n"), 1);
    assert.equal(k.exports.editorLine(), "ls -l");
    assert.match(k.exports.editorOutput(), /^ls -l\r\n$/);
    assert.equal(feed("pwd\n"), 1);
    assert.equal(k.exports.editorLine(), "pwd");
  });
  it("deletes with backspace and DEL, and ignores backspace at the start", () => {
    feed("\x7fabcd\x08\x7fe\r");
    assert.equal(k.exports.editorLine(), "abe");
  });
  it("cancels the line on Ctrl-C", () => {
    assert.equal(feed("rm -rf\x03"), 2);
    assert.match(k.exports.editorOutput(), /\^C\r\n$/);
    assert.equal(k.exports.editorCurrent(), "");
  });
  it("Ctrl-U deletes to the start of the line, Ctrl-K to the end, Ctrl-W one word", () => {
    feed("hello world\x15again\r");
    assert.equal(k.exports.editorLine(), "again");
    feed("one two three\x17\x17four\r");
    assert.equal(k.exports.editorLine(), "one four");
    feed("abcdef\x1b[D\x1b[D\x1b[D\x0b\r");
    assert.equal(k.exports.editorLine(), "abc");
  });
  it("moves with arrows, Home and End and inserts at the cursor", () => {
    feed("held\x1b[DX\x1b[HY\x1b[FZ\r");
    assert.equal(k.exports.editorLine(), "YhelXdZ");
    feed("ab\x01c\x05d\x1b[1~e\x1b[4~f\r");
    assert.equal(k.exports.editorLine(), "ecabdf");
  });
  it("deletes under the cursor with the Delete key", () => {
    feed("abc\x1b[D\x1b[D\x1b[3~\r");
    assert.equal(k.exports.editorLine(), "ac");
  });
  it("walks the history with Up and Down, keeping the draft", () => {
    feed("first\r");
    feed("second\r");
    feed("second\r"); // repeated line stored once
    assert.equal(k.exports.editorHistoryLength(), 2);
    feed("draft\x1b[A");
    assert.equal(k.exports.editorCurrent(), "second");
    feed("\x1b[A\x1b[A");
    assert.equal(k.exports.editorCurrent(), "first");
    feed("\x1b[B\x1b[B");
    assert.equal(k.exports.editorCurrent(), "draft");
    feed("\x1b[A\r");
    assert.equal(k.exports.editorLine(), "second");
  });
  it("handles UTF-8: backspace removes a whole character", () => {
    const bytes = Buffer.from("café!", "utf8").toString("latin1");
    feed(bytes + "\x7f\x7f\r");
    assert.equal(k.exports.editorLine(), "caf");
  });
  it("drops input beyond 4096 bytes and reports the overflow on Enter", () => {
    assert.equal(feed("x".repeat(10240) + "\r"), 3);
    assert.equal(k.exports.editorDropped(), 10240 - 4096);
    assert.ok(k.exports.editorOutput().length < 4200, "dropped bytes are not echoed");
    assert.equal(feed("ok\r"), 1, "the next line works normally");
    assert.equal(k.exports.editorLine(), "ok");
  });
  it("ignores other control bytes and unknown escape sequences", () => {
    feed("a\x00\x02\x07b\x1b[99;5Xc\x1bOPd\x1b[200~e\r");
    assert.equal(k.exports.editorLine(), "abcde");
  });
  it("survives random binary garbage", () => {
    let seed = 1234567;
    for (let round = 0; round < 20; round++) {
      let s = "";
      for (let i = 0; i < 2000; i++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        s += String.fromCharCode(seed >>> 24);
      }
      feed(s);
    }
    k.exports.editorReset();
    assert.equal(feed("still fine\r"), 1);
    assert.equal(k.exports.editorLine(), "still fine");
  });
});

describe("line editor: Tab and a lone ESC (issue 24, bug 9)", () => {
  beforeEach(() => k.exports.editorReset());
  it("a lone ESC followed by another byte does not eat it", () => {
    k.exports.editorFeed("ab\x1bc\x1b\x1b[D\r");
    assert.equal(k.exports.editorLine(), "abc", "ESC c inserts c; ESC ESC [D is one lone ESC, then Left");
  });
  it("ESC then '[' after more than 50 ms is a lone ESC and the text '['", () => {
    k.exports.editorFeedAt("ls", 1_000_000n);
    k.exports.editorFeedAt("\x1b", 1_000_000n);
    k.exports.editorFeedAt("[A", 1_200_000n);
    assert.equal(k.exports.editorCurrent(), "ls[A");
    k.exports.editorFeedAt("\x1b", 2_000_000n);
    k.exports.editorFeedAt("[D", 2_010_000n); // within 50 ms: an arrow key
    assert.equal(k.exports.editorCursor(), 3);
  });
  it("Tab with no completer inserts nothing (ls<TAB>/ stays ls/ without a Tab byte)", () => {
    k.exports.editorFeed("ls\t /\r");
    assert.equal(k.exports.editorLine(), "ls /");
  });
  it("the console shell completes command names: one match, a common prefix, a listing", () => {
    k.exports.shellType("\x15"); // Ctrl-U: an empty line
    k.exports.shellType("ec\t");
    assert.equal(k.exports.shellCurrent(), "echo ");
    k.exports.shellType("\x15mem\t");
    assert.equal(k.exports.shellCurrent(), "meminfo ");
    k.exports.shellType("\x15help\t");
    assert.equal(k.exports.shellCurrent(), "help ", "a whole command name gets its space");
    k.exports.shellType("\x15u");
    k.platform.takeOutput();
    k.exports.shellType("\t");
    const current = k.exports.shellCurrent();
    const out = k.platform.takeOutput();
    k.exports.shellType("\x15");
    k.platform.takeOutput();
    assert.equal(current, "u", "uname, uptime: nothing to add");
    assert.match(out, /\r\nuname  uptime\r\n/);
    assert.match(out, /sis> u\x1b\[K$/, "the line is drawn again");
  });
});

describe("formatting helpers", () => {
  it("formats hex, fixed-point, byte sizes, clocks and durations", () => {
    assert.equal(k.exports.fmtHex(0xdeadbeefn, 10), "00deadbeef");
    assert.equal(k.exports.fmtFixed(3.14159, 2), "3.14");
    assert.equal(k.exports.fmtFixed(-0.004, 2), "0.00");
    assert.equal(k.exports.fmtFixed(2.5, 0), "3");
    assert.equal(k.exports.fmtBytes(512n), "512 B");
    assert.equal(k.exports.fmtBytes(1536n), "1.50 KiB");
    assert.equal(k.exports.fmtBytes(1n << 30n), "1.00 GiB");
    assert.equal(k.exports.fmtClock(93784n), "1d 02:03:04");
    assert.equal(k.exports.fmtDuration(1500n), "1.5 ms");
  });
  it("decodes invalid UTF-8 to U+FFFD without failing", () => {
    assert.equal(k.exports.utf8("ok\xff\xc3"), "ok\uFFFD\uFFFD");
    assert.equal(k.exports.utf8("\xe2\x82\xac"), "€");
    assert.equal(k.exports.utf8("\xed\xa0\x80"), "\uFFFD\uFFFD\uFFFD", "surrogates are invalid");
  });
  it("keeps the kernel version in step with package.json", () => {
    const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"));
    assert.equal(k.exports.version(), pkg.version);
  });
});

describe("shell commands (on Node)", () => {
  beforeEach(() => k.platform.takeOutput());
  const run = (line: string) => {
    const status = k.exports.shellRun(line);
    return { status, out: k.platform.takeOutput() };
  };

  it("help lists every command with a summary, and help CMD shows its usage", () => {
    const { status, out } = run("help");
    assert.equal(status, 0);
    for (const name of ["help", "version", "uname", "uptime", "meminfo", "echo", "clear", "ticks", "reboot", "poweroff"]) {
      assert.match(out, new RegExp(`^  ${name} +\\S`, "m"), `help lists ${name}`);
    }
    const usage = run("help uname");
    assert.match(usage.out, /^uname \[-a\]/);
    assert.equal(run("uname --help").out, usage.out);
  });
  it("unknown commands and bad arguments give one error line and a failure status", () => {
    const unknown = run("frobnicate now");
    assert.equal(unknown.status, 127);
    assert.equal(unknown.out, "error: unknown command 'frobnicate' (type 'help' for the list of commands)\r\n");
    const bad = run("uname -z");
    assert.equal(bad.status, 1);
    assert.equal(bad.out.split("\r\n").filter(Boolean).length, 1);
    assert.match(bad.out, /^error: /);
    assert.match(run("help nosuch").out, /^error: no such command 'nosuch'/);
    assert.match(run("version extra").out, /^error: version takes no arguments/);
  });
  it("shows control characters in unknown names as '?'", () => {
    assert.match(run("a\x01\x1bb").out, /unknown command 'a\?\?b'/);
  });
  it("echo joins its words; quoting keeps spaces", () => {
    assert.equal(run('echo  hello   "big   world"').out, "hello big   world\r\n");
  });
  it("meminfo adds up the memory map", () => {
    const { out } = run("meminfo");
    assert.match(out, /total RAM: +1\.00 GiB \(262144 pages\)/);
    assert.match(out, /usable: +960\.0 MiB/);
    assert.match(out, /conventional +960\.0 MiB +usable/);
  });
  it("poweroff and reboot call PSCI through the platform", () => {
    run("poweroff");
    assert.equal(k.platform.poweredOff, true);
    run("reboot");
    assert.equal(k.platform.rebooted, true);
  });
  it("the console shell prints the prompt, echoes, runs and reports over-long lines", () => {
    k.exports.shellStart();
    k.exports.shellType("echo hi\r");
    assert.equal(k.platform.takeOutput(), "sis> echo hi\r\nhi\r\nsis> ");
    k.exports.shellType("y".repeat(5000) + "\r");
    const out = k.platform.takeOutput();
    assert.match(out, /error: line too long: 904 bytes over the 4096-byte limit; nothing was run\r\nsis> $/);
  });
});
