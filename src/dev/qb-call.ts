import { randomUUID } from "node:crypto";
import type { RemoteExecutionError } from "../sdk/errors.ts";
import { isFlashError } from "../shared/errors.ts";
import type { JobStore } from "./job-store.ts";
import { ERROR_HINT, isPlainObject, messageOf, stackOf } from "./lb-call.ts";
import type { QbRoute } from "./routes.ts";

/** What answering a QB route needs from the dev server. */
export interface QbCallDeps {
  /** Runs a QB function (through the dispatcher) and resolves with its output. */
  runQb(route: QbRoute, input: unknown): Promise<unknown>;
  jobs: JobStore;
  /** Include the (remote) stack in 500 responses. */
  showStacks: boolean;
}

/** The QB base path of a route (`/gpu_worker` for `/gpu_worker/run_sync`), which its status route serves. */
export function qbBaseOf(route: QbRoute): string {
  return route.path.slice(0, route.path.lastIndexOf("/"));
}

/**
 * Answers a QB route for a parsed JSON body (SPEC section 4): the body must be an object; its
 * `input` (or, without that key, the body itself) is the function's input; the job is recorded for
 * `/status/{id}`. 200 `{id, status: "COMPLETED", output}`, or 500 `{id, status, error}` (and the
 * remote stack) when the job did not complete. Shared by the Fastify route and the fast path.
 */
export async function answerQb(
  route: QbRoute,
  base: string,
  body: unknown,
  deps: QbCallDeps,
): Promise<{ status: number; payload: Record<string, unknown> }> {
  if (!isPlainObject(body)) {
    return { status: 400, payload: { error: `The body must be a JSON object. ${ERROR_HINT}` } };
  }
  const input = Object.hasOwn(body, "input") ? body.input : body;
  const id = randomUUID();
  deps.jobs.set({ id, status: "IN_PROGRESS", base });
  try {
    const output = await deps.runQb(route, input);
    const value = output === undefined ? null : output;
    deps.jobs.set({ id, status: "COMPLETED", base, output: value });
    return { status: 200, payload: { id, status: "COMPLETED", output: value } };
  } catch (err) {
    const status = failedStatusOf(err);
    const message = messageOf(err);
    deps.jobs.set({ id, status, base, error: message });
    const payload: Record<string, unknown> = { id, status, error: message };
    const stack = deps.showStacks ? stackOf(err) : undefined;
    if (stack) payload.stack = stack;
    return { status: 500, payload };
  }
}

function failedStatusOf(err: unknown): "FAILED" | "CANCELLED" | "TIMED_OUT" {
  if (isFlashError(err, "REMOTE_EXECUTION")) {
    const status = (err as RemoteExecutionError).status;
    if (status === "CANCELLED" || status === "TIMED_OUT") return status;
  }
  if (isFlashError(err, "TIMEOUT")) return "TIMED_OUT";
  return "FAILED";
}
