// jsdemo: a JavaScript program compiled ahead of time by Porffor (JS -> C) and Debian's aarch64 cross
// compiler into a static executable, run by SIS as /bin/jsdemo. Its output must equal Node's output
// for the same file (tests/target/proc.test.ts compares them), so it prints only deterministic values.
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

function hash(s) {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return h;
}

function primes(count) {
  const out = [];
  for (let n = 2; out.length < count; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) if (n % d === 0) { prime = false; break; }
    if (prime) out.push(n);
  }
  return out;
}

function sortWords(text) {
  return text.split(" ").sort().join(" ");
}

const counts = {};
for (const w of "the kernel runs the program the way the shell asks".split(" ")) counts[w] = (counts[w] || 0) + 1;

console.log("fib(22) = " + fib(22));
console.log("hash = " + hash("SIS runs JavaScript"));
console.log("primes: " + primes(12).join(","));
console.log("sorted: " + sortWords("kernel shell journal scheduler allocator"));
console.log("the x" + counts["the"] + ", shell x" + counts["shell"]);
console.log("imul " + Math.imul(123456789, 987654321) + ", shift " + (-1 >>> 28) + ", xor " + (0x5a5a ^ 0xffff));
