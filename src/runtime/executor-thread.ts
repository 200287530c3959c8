import { pathToFileURL } from "node:url";
import { parentPort } from "node:worker_threads";
import { describeError, outputJson, resolveExport } from "./call-export.ts";
import type { ExecutorReply, ExecutorTask } from "./executor-protocol.ts";
import { timing } from "./timing.ts";

/**
 * The executor thread: runs user functions, one job at a time, for the queue loop (executor.ts).
 * Errors the function throws become the job's error here; errors nobody catches end the thread and
 * the worker reports them.
 */
export async function runExecutorThread(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error("the executor must run in a worker thread");
  // Deployed workers route calls between resources; live ones keep the SDK's in-process default and
  // do not load the dispatcher (it pulls in the SDK: start-up time on every cold start).
  if (process.env.FLASH_RESOURCE_NAME) {
    const { installDeployedDispatcher } = await import("./deployed-dispatcher.ts");
    installDeployedDispatcher();
  }
  port.on("message", (msg: ExecutorTask) => {
    if (msg?.type !== "run") return;
    const chunk = (outputJson: string) =>
      port.postMessage({ type: "chunk", id: msg.id, outputJson } satisfies ExecutorReply);
    void run(msg, chunk).then((reply) => port.postMessage(reply));
  });
  timing("executor thread ready");
  port.postMessage({ type: "ready" } satisfies ExecutorReply);
}

/** A generator object (sync or async); arrays, strings and other iterables are plain values. */
function isGenerator(value: unknown): value is AsyncIterable<unknown> | Iterable<unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const v = value as { next?: unknown; [Symbol.asyncIterator]?: unknown; [Symbol.iterator]?: unknown };
  return (
    typeof v.next === "function" &&
    (typeof v[Symbol.asyncIterator] === "function" || typeof v[Symbol.iterator] === "function")
  );
}

/** Modules already imported, by path: skips the ESM loader's resolve step on every warm job. */
const modules = new Map<string, Record<string, unknown>>();

async function run(task: ExecutorTask, chunk: (outputJson: string) => void): Promise<ExecutorReply> {
  try {
    let mod = modules.get(task.modulePath);
    if (!mod) {
      mod = (await import(pathToFileURL(task.modulePath).href)) as Record<string, unknown>;
      modules.set(task.modulePath, mod);
      timing("bundle imported");
    }
    const fn = resolveExport(mod, task.exportName, task.where);
    const output = await fn(task.input);
    if (!isGenerator(output))
      return { type: "result", id: task.id, ok: true, outputJson: outputJson(output) };
    // A generator function streams: each value goes out as it is yielded (job-stream), and the job's
    // output is the list of all of them (RunPod's `return_aggregate_stream`).
    const parts: string[] = [];
    for await (const value of output) {
      const json = outputJson(value);
      parts.push(json);
      chunk(json);
    }
    return { type: "result", id: task.id, ok: true, outputJson: `[${parts.join(",")}]` };
  } catch (err) {
    return { type: "result", id: task.id, ok: false, error: describeError(err) };
  }
}
