// stresstest: seeded workloads that push one subsystem hard (subcommands come from the
// subsystems: mem from kernel/mm, cpu/io/mixed from kernel/sched, ...).
import { registerFamily } from "../families";

registerFamily("stresstest", "run a seeded stress workload (stresstest --help lists them)");
