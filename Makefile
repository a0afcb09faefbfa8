# SIS: `make qemu` runs it, `make test` tests it.
#   make image        build build/esp.img and build/disk.img (incremental)
#   make qemu         boot SIS in QEMU on this terminal (DISK=<raw image> adds a disk; QEMU_EXTRA='...' adds options)
#   make test         unit tests on Node, then target tests in QEMU
#   make test-unit    only the Node tests (seconds)
#   make bench        benchmarks, JSON lines
#   make bench-linux  the same workloads on Debian's arm64 Linux 6.1 and SIS, alternating (ROUNDS=n): build/bench/compare.*
#   make profile      CMD='shell command' [NAME= HZ= SETUP= OVERHEAD=n]: flame graph under build/profile/
#   make profile-overhead  the profiler's cost in guest instructions (QEMU -icount): build/profile/overhead.json
#   make report       docs/PERFORMANCE.md from build/bench/results.jsonl and compare.json
#   make crash-test   crash recovery: power cuts in QEMU and every crash state (FULL=1: 50 cuts per scenario)
#   make mutants      plant journaling bugs (tests/unit/fs/mutate.ts) and allocator bugs (tests/unit/mm/mutate.ts): each must be caught
#                     (QEMU=1: each journaling mutant's kernel is also built and judged in QEMU by tests/crash/short.ts)
#   make fuzz         libFuzzer on the kernel's own code (TARGET=vfs_path|ext4_image|jbd2_replay|shell_parse|net_rx, SECONDS=n each)
#   make fuzz-coverage  line/branch coverage of the fuzz corpora, by AssemblyScript function
#   make dashboard    boot SIS and serve the web dashboard on 127.0.0.1 (DASHBOARD_PORT=n)
#   make model        regenerate the domain corpus, train (host PyTorch), export and evaluate images/rootfs/models/sis-qa.*
#   make clean        remove build/
.PHONY: all deps image qemu test test-unit test-target bench bench-linux report crash-test fuzz fuzz-coverage clean mutants profile profile-overhead dashboard model

TSX := node_modules/.bin/tsx
MOCHA := node_modules/.bin/mocha
UNIT_TESTS := 'tests/unit/**/*.test.ts'
TARGET_TESTS := 'tests/target/**/*.test.ts'
FUZZ_TESTS := 'tests/fuzz/**/*.test.ts'

all: image

deps:
	@./toolchain/deps.sh

image: deps
	@$(TSX) toolchain/build.ts

qemu: image
	@$(TSX) host/run-qemu.ts

dashboard: image
	@$(TSX) host/dashboard/main.ts

test: image
	@$(MOCHA) $(UNIT_TESTS) $(TARGET_TESTS) $(FUZZ_TESTS)

test-unit: deps
	@$(MOCHA) $(UNIT_TESTS)

test-target: image
	@$(MOCHA) $(TARGET_TESTS)

bench: image
	@$(TSX) bench/run.ts

bench-linux: image
	@$(TSX) bench/linux/run.ts --rounds $(or $(ROUNDS),3)

report: deps
	@$(TSX) bench/report.ts

profile: image
	@$(TSX) host/profile/run.ts

profile-overhead: image
	@$(TSX) host/profile/overhead.ts --hz $(or $(HZ),997) --rounds $(or $(ROUNDS),4)

crash-test: image
	@$(TSX) tests/crash/run.ts $(if $(FULL),--full,)

mutants: deps $(if $(QEMU),image,)
	@$(TSX) tests/unit/fs/mutate.ts $(if $(QEMU),--qemu,)
	@$(TSX) tests/unit/mm/mutate.ts

fuzz: deps
	@$(TSX) tests/fuzz/run.ts $(if $(TARGET),--target $(TARGET),) --seconds $(or $(SECONDS),60)

fuzz-coverage: deps
	@$(TSX) tests/fuzz/coverage.ts $(if $(TARGET),--target $(TARGET),)

# Host-only: Debian's python3-torch trains (no npm training library installs without a binary
# download); libopenblas makes its matrix products ~10x faster than the reference BLAS.
# Not part of deps/test: the trained model is committed. Default: the committed run, dim 96,
# hidden 256, 4 layers, 4 heads, replaying its logged schedule (MODEL_SCHEDULE: the learning rate
# of each of its steps; it decayed over 58 wall minutes) with 1 thread and fixed seeds.
# MODEL_SCHEDULE= MODEL_STEPS=N decays over N steps instead, MODEL_MINUTES=N over N wall minutes.
PYTHON := /usr/bin/python3
model: deps
	@$(PYTHON) -c 'import torch' 2>/dev/null || apt-get install -y python3-torch libopenblas0-pthread
	@$(TSX) host/model/corpus.ts 200000
	@MODEL_DIM=$${MODEL_DIM:-96} MODEL_HIDDEN=$${MODEL_HIDDEN:-256} MODEL_LAYERS=$${MODEL_LAYERS:-4} MODEL_HEADS=$${MODEL_HEADS:-4} \
	  MODEL_SCHEDULE=$${MODEL_SCHEDULE-host/model/logs/run5-parts.json} MODEL_MINUTES=$${MODEL_MINUTES:-0} MODEL_STEPS=$${MODEL_STEPS:-8000} \
	  nice -n 10 $(PYTHON) host/model/train.py
	@$(TSX) host/model/evaluate.ts

clean:
	rm -rf build
