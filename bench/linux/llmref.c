// llmref: our own plain C implementation of the llama2 forward pass, the C side of the
// language-model rows of `make bench-linux` (and of tests/unit/llm/llmref.test.ts, which builds
// it natively and checks that it picks the same greedy tokens as the kernel's engine).
//
// Written for SIS (it shares no code with llama2.c): it reads the checkpoint format llama2.c's
// run.c reads (7 int32 header: dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size
// (negative: unshared classifier), seq_len; then f32 token embedding, rms_att, wq, wk, wv, wo,
// rms_ffn, w1, w2, w3, rms_final, the two RoPE tables (skipped), classifier if unshared) and
// computes like run.c does, so it costs what run.c costs: a naive f32 matrix-vector product
// (one running sum per row, no blocking or intrinsics), RMSNorm, RoPE with cos/sin computed per
// pair, grouped-query attention over a KV cache, SwiGLU, greedy argmax, one token at a time.
// Built static for aarch64 with `aarch64-linux-gnu-gcc -O3` (bench/linux/initramfs.ts).
//
// Usage: llmref CHECKPOINT [--tokens N] [--prompt ID,ID,...] [--name NAME]
// Runs the prompt's token ids (default: BOS alone, token 1, like `llmctl generate` with no
// prompt) one by one from position 0, then N greedy steps (stops early when BOS is picked,
// run.c's rule, or at the end of the context) and prints one JSON line:
//   {"name":"linux.NAME","value":DECODE_TOK_S,"tokens":[...],"decode_us":U,"prompt_us":P}
// decode_us is timed as the kernel times it (kernel/llm/generate.ts): N argmaxes and the
// N - 1 forward passes between them; prompt_us covers the prompt's forward passes.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  int dim, hidden, layers, heads, kv_heads, vocab, seq;
  int shared;
} Shape;

typedef struct {
  const float *emb, *rms_att, *wq, *wk, *wv, *wo, *rms_ffn, *w1, *w2, *w3, *rms_final, *cls;
} Weights;

typedef struct {
  float *x, *xb, *xb2, *q, *k, *v, *hb, *hb2, *att, *logits, *kcache, *vcache;
} State;

static void die(const char *what) {
  fprintf(stderr, "error: llmref: %s\n", what);
  exit(1);
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static float *zeros(size_t n) {
  float *p = calloc(n, sizeof(float));
  if (!p) die("out of memory");
  return p;
}

// o[r] = sum_c m[r][c] * v[c]: one sequential sum per row
static void matvec(float *o, const float *v, const float *m, int cols, int rows) {
  for (int r = 0; r < rows; r++) {
    const float *row = m + (size_t)r * cols;
    float s = 0.0f;
    for (int c = 0; c < cols; c++) s += row[c] * v[c];
    o[r] = s;
  }
}

static void rms(float *o, const float *x, const float *g, int n) {
  float ss = 0.0f;
  for (int i = 0; i < n; i++) ss += x[i] * x[i];
  ss = 1.0f / sqrtf(ss / n + 1e-5f);
  for (int i = 0; i < n; i++) o[i] = g[i] * (ss * x[i]);
}

static void normalise(float *a, int n) {
  float hi = a[0];
  for (int i = 1; i < n; i++) if (a[i] > hi) hi = a[i];
  float total = 0.0f;
  for (int i = 0; i < n; i++) { a[i] = expf(a[i] - hi); total += a[i]; }
  for (int i = 0; i < n; i++) a[i] /= total;
}

// logits for `token` at position `pos`; keys and values of this position go into the cache
static float *step(const Shape *sh, const Weights *w, State *s, int token, int pos) {
  const int dim = sh->dim, hs = dim / sh->heads, kv_dim = hs * sh->kv_heads;
  const int group = sh->heads / sh->kv_heads;
  memcpy(s->x, w->emb + (size_t)token * dim, dim * sizeof(float));
  for (int l = 0; l < sh->layers; l++) {
    const size_t dd = (size_t)dim * dim, dk = (size_t)dim * kv_dim, dh = (size_t)dim * sh->hidden;
    rms(s->xb, s->x, w->rms_att + (size_t)l * dim, dim);
    float *kc = s->kcache + ((size_t)l * sh->seq + pos) * kv_dim;
    float *vc = s->vcache + ((size_t)l * sh->seq + pos) * kv_dim;
    matvec(s->q, s->xb, w->wq + l * dd, dim, dim);
    matvec(kc, s->xb, w->wk + l * dk, dim, kv_dim);
    matvec(vc, s->xb, w->wv + l * dk, dim, kv_dim);
    for (int i = 0; i < dim; i += 2) {
      float theta = pos * (1.0f / powf(10000.0f, (float)(i % hs) / (float)hs));
      float c = cosf(theta), sn = sinf(theta);
      float a = s->q[i], b = s->q[i + 1];
      s->q[i] = a * c - b * sn;
      s->q[i + 1] = a * sn + b * c;
      if (i < kv_dim) {
        a = kc[i]; b = kc[i + 1];
        kc[i] = a * c - b * sn;
        kc[i + 1] = a * sn + b * c;
      }
    }
    const float *keys = s->kcache + (size_t)l * sh->seq * kv_dim;
    const float *vals = s->vcache + (size_t)l * sh->seq * kv_dim;
    const float scale = 1.0f / sqrtf((float)hs);
    for (int h = 0; h < sh->heads; h++) {
      const float *qh = s->q + h * hs;
      const int off = (h / group) * hs;
      float *att = s->att + (size_t)h * sh->seq;
      for (int t = 0; t <= pos; t++) {
        const float *kt = keys + (size_t)t * kv_dim + off;
        float d = 0.0f;
        for (int i = 0; i < hs; i++) d += qh[i] * kt[i];
        att[t] = d * scale;
      }
      normalise(att, pos + 1);
      float *out = s->xb + h * hs;
      memset(out, 0, hs * sizeof(float));
      for (int t = 0; t <= pos; t++) {
        const float *vt = vals + (size_t)t * kv_dim + off;
        for (int i = 0; i < hs; i++) out[i] += att[t] * vt[i];
      }
    }
    matvec(s->xb2, s->xb, w->wo + l * dd, dim, dim);
    for (int i = 0; i < dim; i++) s->x[i] += s->xb2[i];
    rms(s->xb, s->x, w->rms_ffn + (size_t)l * dim, dim);
    matvec(s->hb, s->xb, w->w1 + l * dh, dim, sh->hidden);
    matvec(s->hb2, s->xb, w->w3 + l * dh, dim, sh->hidden);
    for (int i = 0; i < sh->hidden; i++) {
      float g = s->hb[i];
      s->hb[i] = g / (1.0f + expf(-g)) * s->hb2[i];
    }
    matvec(s->xb, s->hb, w->w2 + l * dh, sh->hidden, dim);
    for (int i = 0; i < dim; i++) s->x[i] += s->xb[i];
  }
  rms(s->x, s->x, w->rms_final, dim);
  matvec(s->logits, s->x, w->cls, dim, sh->vocab);
  return s->logits;
}

static int argmax(const float *p, int n) {
  int best = 0;
  for (int i = 1; i < n; i++) if (p[i] > p[best]) best = i;
  return best;
}

int main(int argc, char **argv) {
  const char *file = NULL, *name = "llm_decode";
  long tokens = 256;
  int prompt[4096] = {1}, np = 1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--tokens") && i + 1 < argc) tokens = strtol(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--prompt") && i + 1 < argc) {
      char *at = argv[++i], *end;
      for (np = 0; *at && np < 4096; np++) {
        prompt[np] = (int)strtol(at, &end, 10);
        if (end == at || (*end && *end != ',')) die("--prompt takes token ids separated by commas");
        at = *end ? end + 1 : end;
      }
      if (np == 0 || *at) die("--prompt takes 1..4096 token ids");
    }
    else if (!strcmp(argv[i], "--name") && i + 1 < argc) name = argv[++i];
    else if (argv[i][0] != '-' && !file) file = argv[i];
    else die("usage: llmref CHECKPOINT [--tokens N] [--prompt ID,ID,...] [--name NAME]");
  }
  if (!file) die("usage: llmref CHECKPOINT [--tokens N] [--prompt ID,ID,...] [--name NAME]");
  if (tokens < 1 || tokens > 1000000) die("--tokens must be 1..1000000");
  FILE *f = fopen(file, "rb");
  if (!f) die("cannot open the checkpoint");
  int32_t hdr[7];
  if (fread(hdr, sizeof hdr, 1, f) != 1) die("checkpoint shorter than its header");
  Shape sh = {hdr[0], hdr[1], hdr[2], hdr[3], hdr[4], hdr[5] < 0 ? -hdr[5] : hdr[5], hdr[6], hdr[5] > 0};
  if (sh.dim <= 0 || sh.hidden <= 0 || sh.layers <= 0 || sh.heads <= 0 || sh.kv_heads <= 0 || sh.vocab <= 0 ||
      sh.seq <= 0 || sh.dim % sh.heads || sh.heads % sh.kv_heads || (sh.dim / sh.heads) % 2 ||
      sh.dim > 65536 || sh.hidden > 1 << 20 || sh.layers > 1024 || sh.vocab > 1 << 24 || sh.seq > 1 << 20)
    die("bad checkpoint header");
  fseek(f, 0, SEEK_END);
  size_t bytes = (size_t)ftell(f) - sizeof hdr;
  fseek(f, sizeof hdr, SEEK_SET);
  float *all = malloc(bytes);
  if (!all || fread(all, 1, bytes, f) != bytes) die("cannot read the weights");
  fclose(f);
  const size_t L = sh.layers, D = sh.dim, H = sh.hidden, hs = D / sh.heads, KV = hs * sh.kv_heads;
  const size_t need = (size_t)sh.vocab * D + L * D * 2 + L * D * D * 2 + L * D * KV * 2 + L * D * H * 3 + D +
                      (size_t)sh.seq * hs + (sh.shared ? 0 : (size_t)sh.vocab * D);
  if (bytes / sizeof(float) < need) die("checkpoint shorter than its header says");
  Weights w;
  const float *p = all;
  w.emb = p; p += (size_t)sh.vocab * D;
  w.rms_att = p; p += L * D;
  w.wq = p; p += L * D * D;
  w.wk = p; p += L * D * KV;
  w.wv = p; p += L * D * KV;
  w.wo = p; p += L * D * D;
  w.rms_ffn = p; p += L * D;
  w.w1 = p; p += L * D * H;
  w.w2 = p; p += L * D * H;
  w.w3 = p; p += L * D * H;
  w.rms_final = p; p += D;
  p += (size_t)sh.seq * hs; // RoPE cos and sin tables (hs/2 each per position), unused
  w.cls = sh.shared ? w.emb : p;

  State s = {zeros(D), zeros(D), zeros(D), zeros(D), zeros(KV), zeros(KV), zeros(H), zeros(H),
             zeros((size_t)sh.heads * sh.seq), zeros(sh.vocab), zeros(L * sh.seq * KV), zeros(L * sh.seq * KV)};
  if (np > sh.seq) die("the prompt is longer than the context");
  for (int i = 0; i < np; i++) if (prompt[i] < 0 || prompt[i] >= sh.vocab) die("prompt token id out of range");
  int *out = malloc(sizeof(int) * tokens);
  if (!out) die("out of memory");
  double t0 = now_us();
  float *logits = NULL;
  for (int i = 0; i < np; i++) logits = step(&sh, &w, &s, prompt[i], i);
  double t1 = now_us();
  long n = 0;
  int pos = np;
  for (;;) {
    int next = argmax(logits, sh.vocab);
    if (next == 1) break;
    out[n++] = next;
    if (n >= tokens || pos >= sh.seq) break;
    logits = step(&sh, &w, &s, next, pos++);
  }
  double t2 = now_us();
  double decode = t2 - t1;
  printf("{\"name\":\"linux.%s\",\"value\":%.3f,\"tokens\":[", name, decode > 0 ? n / (decode / 1e6) : 0.0);
  for (long i = 0; i < n; i++) printf(i ? ",%d" : "%d", out[i]);
  printf("],\"decode_us\":%.0f,\"prompt_us\":%.0f}\n", decode, t1 - t0);
  return 0;
}
