import { pathToFileURL } from "node:url";
import { describeError, outputJson, resolveExport } from "./call-export.ts";
import type { ExecutorReply, ExecutorTask } from "./executor-protocol.ts";

/**
 * The executor: a child process of the worker that runs user functions, one job at a time. User code
 * runs here, not in the worker loop, so a function that calls process.exit, throws asynchronously or
 * never returns costs only this process; the worker kills it and forks a fresh one.
 */
export function runExecutorChild(): void {
  let current: string | undefined;
  const send = (reply: ExecutorReply, then?: () => void) => {
    if (!process.connected) return then?.();
    process.send?.(reply, undefined, undefined, () => then?.());
  };

  process.on("message", (msg: ExecutorTask) => {
    if (msg?.type !== "run") return;
    current = msg.id;
    void run(msg).then((reply) => {
      current = undefined;
      send(reply);
    });
  });

  // An error thrown outside the awaited call (a timer, an unawaited promise) fails the running job
  // with that error, then the process exits: its state can no longer be trusted.
  const crash = (err: unknown) => {
    const info = describeError(err);
    info.error_message = `uncaught error in the function's process: ${info.error_message}`;
    if (current === undefined) process.exit(70);
    send({ type: "result", id: current, ok: false, error: info, fatal: true }, () => process.exit(70));
  };
  process.on("uncaughtException", crash);
  process.on("unhandledRejection", crash);
  // The worker went away (even killed hard): nothing left to serve.
  process.on("disconnect", () => process.exit(0));
  send({ type: "ready" });
}

async function run(task: Extract<ExecutorTask, { type: "run" }>): Promise<ExecutorReply> {
  try {
    const mod = (await import(pathToFileURL(task.modulePath).href)) as Record<string, unknown>;
    const fn = resolveExport(mod, task.exportName, task.where);
    const output = await fn(task.input);
    return { type: "result", id: task.id, ok: true, outputJson: outputJson(output) };
  } catch (err) {
    return { type: "result", id: task.id, ok: false, error: describeError(err) };
  }
}
