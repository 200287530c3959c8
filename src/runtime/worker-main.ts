// Worker runtime entry: what the worker image runs and the emulator spawns. (Filled in by the runtime work.)
process.stderr.write("flash worker runtime: not implemented yet\n");
process.exitCode = 1;
