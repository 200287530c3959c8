import type { RemoteExecutionError } from "../sdk/errors.ts";
import type { RequestContext } from "../sdk/remote.ts";
import { isFlashError } from "../shared/errors.ts";
import { withoutFlashFrames } from "./user-stack.ts";

/** The user's LB function, unwrapped: `(input, ctx) => output`. */
export type LbHandlerFn = (input: unknown, ctx: RequestContext) => unknown;

/**
 * Runs an LB handler and renders its answer: the return value as JSON (`null` for none) with 200,
 * or `{"error"}` (and the stack for 5xx in dev) with the status the error carries, else 500.
 */
export async function callLbHandler(
  handler: LbHandlerFn,
  input: unknown,
  ctx: RequestContext,
  showStacks: boolean,
): Promise<{ status: number; body: string }> {
  try {
    const output = await handler(input, ctx);
    return { status: 200, body: JSON.stringify(output ?? null) };
  } catch (err) {
    const status = httpStatusOf(err);
    const payload: Record<string, unknown> = { error: messageOf(err) };
    const stack = showStacks && status >= 500 ? stackOf(err) : undefined;
    if (stack) payload.stack = stack;
    return { status, body: JSON.stringify(payload) };
  }
}

/** The remote message for a failed job (without the job/endpoint preamble); the thrown message for anything else. */
export function messageOf(err: unknown): string {
  if (isFlashError(err, "REMOTE_EXECUTION")) {
    const remote = /^Job \S+ on .+? ended [A-Z_]+: ([\s\S]*)$/.exec(err.message)?.[1];
    if (remote !== undefined) return remote;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The remote stack of a failed job, else the error's own stack; without Flash's own frames either way. */
export function stackOf(err: unknown): string | undefined {
  if (isFlashError(err, "REMOTE_EXECUTION")) {
    const remote = (err as RemoteExecutionError).remoteStack;
    if (remote) return withoutFlashFrames(remote);
  }
  return err instanceof Error && err.stack ? withoutFlashFrames(err.stack) : undefined;
}

/** An LB handler may throw an error carrying `statusCode` or `status` (as http-errors does) to pick the response code. */
export function httpStatusOf(err: unknown): number {
  if (typeof err === "object" && err !== null) {
    const e = err as { statusCode?: unknown; status?: unknown };
    const code = typeof e.statusCode === "number" ? e.statusCode : e.status;
    if (typeof code === "number" && Number.isInteger(code) && code >= 400 && code <= 599) return code;
  }
  return 500;
}
