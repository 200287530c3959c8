import type { RemoteExecutionError } from "../sdk/errors.ts";
import type { RequestContext } from "../sdk/remote.ts";
import { isFlashError } from "../shared/errors.ts";
import { MAX_JSON_DEPTH, parseJsonLimited } from "../shared/json-depth.ts";
import { withoutFlashFrames } from "./user-stack.ts";

/** The user's LB function, unwrapped: `(input, ctx) => output`. */
export type LbHandlerFn = (input: unknown, ctx: RequestContext) => unknown;

/** A parsed request body, or why it is refused (HTTP 400). */
export type ParsedBody = { ok: true; value: unknown } | { ok: false; error: string };

export const ERROR_HINT = 'Send a JSON object, e.g. {"input": {"prompt": "hello"}}.';

/**
 * Parses a request body as JSON (content types are checked before). An empty body is `undefined`.
 * Bodies nested deeper than {@link MAX_JSON_DEPTH} are refused unparsed. Keys that would reach an
 * object's prototype when user code merges the body (`__proto__`) are refused, as Fastify's own
 * parser does.
 */
export function parseJsonBody(text: string): ParsedBody {
  if (text.trim() === "") return { ok: true, value: undefined };
  const parsed = parseJsonLimited(text, MAX_JSON_DEPTH);
  if (!parsed.ok) {
    return parsed.reason === "depth"
      ? { ok: false, error: `The body is refused: ${parsed.message}.` }
      : { ok: false, error: `The body is not valid JSON: ${parsed.message}. ${ERROR_HINT}` };
  }
  if (text.includes("__proto__") && hasProtoKey(parsed.value)) {
    return { ok: false, error: 'The body must not contain a "__proto__" key.' };
  }
  return { ok: true, value: parsed.value };
}

/** The input an LB handler gets from a parsed body: the object itself, `{}` for none, else an error. */
export function lbBodyInput(body: unknown): ParsedBody {
  if (body === undefined) return { ok: true, value: {} };
  return isPlainObject(body)
    ? { ok: true, value: body }
    : { ok: false, error: "The body must be a JSON object." };
}

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

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A request URL without its query string. */
export function pathOf(url: string): string {
  const q = url.indexOf("?");
  return q === -1 ? url : url.slice(0, q);
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

/** True when any object in `value` has an own `__proto__` key; an explicit stack, not recursion. */
export function hasProtoKey(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== "object" || v === null) continue;
    if (Array.isArray(v)) {
      for (const item of v) if (typeof item === "object" && item !== null) stack.push(item);
      continue;
    }
    if (Object.hasOwn(v, "__proto__")) return true;
    for (const item of Object.values(v)) if (typeof item === "object" && item !== null) stack.push(item);
  }
  return false;
}
