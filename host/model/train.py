#!/usr/bin/env python3
"""`make model` step 2: trains the domain question-answering model on build/model/corpus.json
and exports it as a llama2.c checkpoint (legacy f32, run.c's format) to
images/rootfs/models/sis-qa.bin. Host-only: PyTorch (Debian's python3-torch, CPU) is the only
training library that installs here without downloading a binary from npm; the kernel never
needs it. The model is llama2.c's architecture written out here (RMSNorm eps 1e-5, RoPE on
interleaved pairs, GQA, SwiGLU, tied classifier) so the exported weights mean the same thing
to kernel/llm/model.ts. Loss is on the answer tokens only (the prompt is given, not predicted).

Writes build/model/train-log.json: the loss curve (every LOG steps: training loss, validation
loss on training phrasings, held-out loss on held-out phrasings)."""
import json, math, os, random, struct, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
CORPUS = os.path.join(ROOT, "build/model/corpus.json")
OUT = os.environ.get("MODEL_OUT", os.path.join(ROOT, "images/rootfs/models/sis-qa.bin"))
LOG_PATH = os.environ.get("MODEL_LOG", os.path.join(ROOT, "build/model/train-log.json"))

# shape: MODEL_DIM / MODEL_HIDDEN / MODEL_LAYERS / MODEL_HEADS (kv heads = heads), context 160
_env = lambda k, d: int(os.environ.get(k, str(d)))
DIM, HIDDEN, LAYERS, HEADS, SEQ = _env("MODEL_DIM", 64), _env("MODEL_HIDDEN", 128), _env("MODEL_LAYERS", 3), _env("MODEL_HEADS", 4), 160
KV_HEADS = HEADS
STEPS = int(os.environ.get("MODEL_STEPS", "3000"))
BATCH = 24
LR = float(os.environ.get("MODEL_LR", "4e-3"))
LOG = 250
torch.manual_seed(14)
random.seed(14)
torch.set_num_threads(int(os.environ.get("MODEL_THREADS", "1")))
MINUTES = float(os.environ.get("MODEL_MINUTES", "0"))  # > 0: stop after this wall time (a loaded machine)


def rope(x, cos, sin):
    # x [B, T, H, hs]; pairs (2i, 2i+1) rotated by pos * 10000^(-2i/hs), like run.c
    xr, xi = x[..., 0::2], x[..., 1::2]
    o_r = xr * cos - xi * sin
    o_i = xr * sin + xi * cos
    return torch.stack([o_r, o_i], dim=-1).flatten(-2)


class RMSNorm(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * self.weight


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.hs = DIM // HEADS
        kv = self.hs * KV_HEADS
        self.attention_norm = RMSNorm(DIM)
        self.wq = nn.Linear(DIM, DIM, bias=False)
        self.wk = nn.Linear(DIM, kv, bias=False)
        self.wv = nn.Linear(DIM, kv, bias=False)
        self.wo = nn.Linear(DIM, DIM, bias=False)
        self.ffn_norm = RMSNorm(DIM)
        self.w1 = nn.Linear(DIM, HIDDEN, bias=False)
        self.w2 = nn.Linear(HIDDEN, DIM, bias=False)
        self.w3 = nn.Linear(DIM, HIDDEN, bias=False)

    def forward(self, x, cos, sin):
        B, T, _ = x.shape
        h = self.attention_norm(x)
        q = rope(self.wq(h).view(B, T, HEADS, self.hs), cos, sin)
        k = rope(self.wk(h).view(B, T, KV_HEADS, self.hs), cos, sin)
        v = self.wv(h).view(B, T, KV_HEADS, self.hs)
        rep = HEADS // KV_HEADS
        if rep > 1:
            k = k.repeat_interleave(rep, dim=2)
            v = v.repeat_interleave(rep, dim=2)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(self.hs)
        mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
        att = att.masked_fill(mask, float("-inf")).softmax(-1)
        o = (att @ v).transpose(1, 2).reshape(B, T, DIM)
        x = x + self.wo(o)
        h = self.ffn_norm(x)
        return x + self.w2(F.silu(self.w1(h)) * self.w3(h))


class Model(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.vocab = vocab
        self.tok_embeddings = nn.Embedding(vocab, DIM)
        self.layers = nn.ModuleList([Block() for _ in range(LAYERS)])
        self.norm = RMSNorm(DIM)
        hs = DIM // HEADS
        freqs = 1.0 / (10000.0 ** (torch.arange(0, hs, 2).float() / hs))
        ang = torch.outer(torch.arange(SEQ).float(), freqs)
        self.register_buffer("cos", ang.cos()[None, :, None, :], persistent=False)
        self.register_buffer("sin", ang.sin()[None, :, None, :], persistent=False)
        nn.init.normal_(self.tok_embeddings.weight, std=0.02)
        for n, p in self.named_parameters():
            if n.endswith("wo.weight") or n.endswith("w2.weight"):
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * LAYERS))

    def forward(self, idx, where=None):
        T = idx.shape[1]
        x = self.tok_embeddings(idx)
        for l in self.layers:
            x = l(x, self.cos[:, :T], self.sin[:, :T])
        x = self.norm(x)
        if where is not None:
            x = x[where]  # only the positions with a target: the classifier is a fifth of the work
        return x @ self.tok_embeddings.weight.t()


def batchify(examples):
    T = max(len(e["ids"]) for e in examples)
    x = torch.zeros(len(examples), T - 1, dtype=torch.long)
    y = torch.full((len(examples), T - 1), -100, dtype=torch.long)
    for i, e in enumerate(examples):
        ids = e["ids"]
        x[i, : len(ids) - 1] = torch.tensor(ids[:-1])
        # predict answer tokens: targets at positions start-1 .. end
        tgt = torch.tensor(ids[1:])
        tgt[: e["start"] - 1] = -100
        y[i, : len(ids) - 1] = tgt
    return x, y


def evaluate(model, data):
    model.eval()
    tot, n = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(data), 100):
            x, y = batchify(data[i:i + 100])
            where = y != -100
            loss = F.cross_entropy(model(x, where), y[where], reduction="sum")
            tot += loss.item()
            n += where.sum().item()
    model.train()
    return tot / n


def export(model, path):
    sd = {k: v.detach().float().contiguous() for k, v in model.state_dict().items()}
    hs = DIM // HEADS
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("7i", DIM, HIDDEN, LAYERS, HEADS, KV_HEADS, model.vocab, SEQ))
        def w(t):
            f.write(t.numpy().astype("<f4").tobytes())
        w(sd["tok_embeddings.weight"])
        for name in ["attention_norm.weight", "wq.weight", "wk.weight", "wv.weight", "wo.weight", "ffn_norm.weight",
                     "w1.weight", "w2.weight", "w3.weight"]:
            for l in range(LAYERS):
                w(sd[f"layers.{l}.{name}"])
        w(sd["norm.weight"])
        # the two RoPE tables run.c skips (freq_cis_real, freq_cis_imag)
        freqs = 1.0 / (10000.0 ** (torch.arange(0, hs, 2).float() / hs))
        ang = torch.outer(torch.arange(SEQ).float(), freqs)
        w(ang.cos())
        w(ang.sin())
    os.replace(path + ".tmp", path)


def load_checkpoint(model, path):
    """Reads a checkpoint written by export() back into the model (MODEL_INIT: continue training)."""
    import numpy as np
    raw = open(path, "rb").read()
    head = struct.unpack("7i", raw[:28])
    assert head == (DIM, HIDDEN, LAYERS, HEADS, KV_HEADS, model.vocab, SEQ), f"shape {head} differs"
    data = np.frombuffer(raw[28:], dtype="<f4")
    at = 0
    sd = model.state_dict()
    def take(name):
        nonlocal at
        t = sd[name]
        n = t.numel()
        t.copy_(torch.from_numpy(data[at:at + n].copy()).view_as(t))
        at += n
    take("tok_embeddings.weight")
    for name in ["attention_norm.weight", "wq.weight", "wk.weight", "wv.weight", "wo.weight", "ffn_norm.weight",
                 "w1.weight", "w2.weight", "w3.weight"]:
        for l in range(LAYERS):
            take(f"layers.{l}.{name}")
    take("norm.weight")


def main():
    c = json.load(open(CORPUS))
    vocab = c["vocab"]
    train, val, held = c["train"], c["val"][:300], c["held"][:300]
    assert max(len(e["ids"]) for e in train + val + held) <= SEQ, "an example is longer than the context"
    model = Model(vocab)
    if os.environ.get("MODEL_INIT"):
        load_checkpoint(model, os.environ["MODEL_INIT"])
        print(f"continuing from {os.environ['MODEL_INIT']}", flush=True)
    nparams = sum(p.numel() for p in model.parameters())
    print(f"model dim {DIM} hidden {HIDDEN} layers {LAYERS} heads {HEADS}/{KV_HEADS} vocab {vocab} seq {SEQ}: {nparams} parameters", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.01, betas=(0.9, 0.95))
    curve = []
    t0 = time.time()
    running = None
    order = list(range(len(train)))
    random.shuffle(order)
    at = 0
    # MODEL_SCHEDULE=LOG.json replays the schedule a logged run used (its "fracs"): the same
    # steps, learning rates, seeds and data order give the same weights (1 thread, CPU)
    replay = json.load(open(os.environ["MODEL_SCHEDULE"]))["fracs"] if os.environ.get("MODEL_SCHEDULE") else None
    steps = len(replay) if replay else STEPS
    fracs = []
    for step in range(1, steps + 1):
        # cosine decay over the steps, or over the wall-time budget when MODEL_MINUTES is set
        if replay:
            frac = replay[step - 1]
        else:
            frac = step / steps if MINUTES <= 0 else min(1.0, round((time.time() - t0) / (MINUTES * 60), 6))
        fracs.append(frac)
        lr = LR * min(1.0, step / 50) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in opt.param_groups:
            g["lr"] = lr
        if at + BATCH > len(order):
            random.shuffle(order)
            at = 0
        x, y = batchify([train[i] for i in order[at:at + BATCH]])
        at += BATCH
        where = y != -100
        loss = F.cross_entropy(model(x, where), y[where])
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        running = loss.item() if running is None else 0.95 * running + 0.05 * loss.item()
        if step in (20, 100, 200):  # the run's time estimate (sizing MODEL_STEPS on a shared machine)
            el = time.time() - t0
            print(f"step {step}: {el:.1f} s, {el / step:.3f} s/step, {steps} steps take ~{el / step * steps / 60:.0f} min", flush=True)
        last = step == steps or (not replay and MINUTES > 0 and frac >= 1.0)
        if step % LOG == 0 or last:
            v, h = evaluate(model, val), evaluate(model, held)
            curve.append({"step": step, "train": round(running, 4), "val": round(v, 4), "held": round(h, 4),
                          "seconds": round(time.time() - t0, 1)})
            print(json.dumps(curve[-1]), flush=True)
            export(model, OUT)
            json.dump({"params": nparams, "shape": [DIM, HIDDEN, LAYERS, HEADS, KV_HEADS, vocab, SEQ],
                       "batch": BATCH, "lr": LR, "steps": step, "curve": curve, "fracs": fracs}, open(LOG_PATH, "w"))
        if last:
            break
    print(f"exported {OUT}", flush=True)


if __name__ == "__main__":
    main()
