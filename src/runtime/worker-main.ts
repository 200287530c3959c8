/**
 * Worker runtime entry (`dist/runtime/worker.js`): what the worker image runs and what the emulator
 * spawns. `FLASH_ENDPOINT_TYPE=lb` serves HTTP routes; otherwise the queue loop speaks RunPod's worker
 * protocol. The same file, started as a worker thread (`workerData.flashExecutor`), is the executor
 * that runs user functions for the queue loop. Environment: see env.ts.
 */
import { isMainThread, workerData } from "node:worker_threads";
import { readWorkerEnv } from "./env.ts";
import { Executor } from "./executor.ts";
import { runtimeStamp } from "./stamp.ts";
import { timing } from "./timing.ts";

// No worker id in the prefix: RunPod's logs (and the emulator's) already say which worker wrote a
// line, and a second bracket only doubles it. "flash:" tells the runtime's lines from the user's.
const log = (line: string) => process.stderr.write(`flash: ${line}\n`);

if (!isMainThread && (workerData as { flashExecutor?: boolean } | undefined)?.flashExecutor) {
  const { runExecutorThread } = await import("./executor-thread.ts");
  await runExecutorThread();
} else {
  const env = readWorkerEnv();
  log(runtimeStamp());
  let stop: () => Promise<void>;
  try {
    if (env.mode === "lb") {
      const { startLbWorker } = await import("./lb-server.ts");
      stop = (await startLbWorker(env, log)).stop;
    } else {
      // Executor threads boot while the queue loop's module loads: they are the longer pole of a cold start.
      timing("main loaded");
      const executors = Array.from({ length: env.concurrency }, () => new Executor(process.argv[1]!, log));
      for (const e of executors) e.start();
      timing("executors started");
      const { startQueueWorker } = await import("./qb-worker.ts");
      timing("queue loop loaded");
      const worker = startQueueWorker(env, log, executors);
      stop = worker.stop;
      void worker.done.then(() => process.exit(0));
    }
  } catch (err) {
    log(`cannot start: ${(err as Error).message}`);
    process.exit(1);
  }
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    // Exit even if something hangs while closing.
    setTimeout(() => process.exit(0), 2000).unref();
    void stop().finally(() => process.exit(0));
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
  if (env.exitWithStdin) {
    process.stdin.on("end", shutdown);
    process.stdin.on("close", shutdown);
    process.stdin.resume();
  }
}
