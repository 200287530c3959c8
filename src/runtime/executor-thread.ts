import { pathToFileURL } from "node:url";
import { parentPort } from "node:worker_threads";
import { describeError, outputJson, resolveExport } from "./call-export.ts";
import { installDeployedDispatcher } from "./deployed-dispatcher.ts";
import type { ExecutorReply, ExecutorTask } from "./executor-protocol.ts";

/**
 * The executor thread: runs user functions, one job at a time, for the queue loop (executor.ts).
 * Errors the function throws become the job's error here; errors nobody catches end the thread and
 * the worker reports them.
 */
export function runExecutorThread(): void {
  const port = parentPort;
  if (!port) throw new Error("the executor must run in a worker thread");
  installDeployedDispatcher();
  port.on("message", (msg: ExecutorTask) => {
    if (msg?.type !== "run") return;
    void run(msg).then((reply) => port.postMessage(reply));
  });
  port.postMessage({ type: "ready" } satisfies ExecutorReply);
}

/** Modules already imported, by path: skips the ESM loader's resolve step on every warm job. */
const modules = new Map<string, Record<string, unknown>>();

async function run(task: ExecutorTask): Promise<ExecutorReply> {
  try {
    let mod = modules.get(task.modulePath);
    if (!mod) {
      mod = (await import(pathToFileURL(task.modulePath).href)) as Record<string, unknown>;
      modules.set(task.modulePath, mod);
    }
    const fn = resolveExport(mod, task.exportName, task.where);
    const output = await fn(task.input);
    return { type: "result", id: task.id, ok: true, outputJson: outputJson(output) };
  } catch (err) {
    return { type: "result", id: task.id, ok: false, error: describeError(err) };
  }
}
