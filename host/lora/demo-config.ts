// The LoRA demo's fine-tune settings, shared by the Node demo (host/lora/demo.ts) and the QEMU
// bench (bench/lora.bench.ts), so both measure the same run.
export const DEMO_EPOCHS = 5;
export const DEMO_EXTRA = "--lr 0.003 --targets wq,wk,wv,wo,w1,w2,w3";
