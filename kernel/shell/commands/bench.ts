// bench: in-kernel benchmarks that print JSON lines (subcommands come from the subsystems).
import { registerFamily } from "../families";

registerFamily("bench", "run an in-kernel benchmark, printing JSON lines");
