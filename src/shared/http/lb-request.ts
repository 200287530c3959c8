import type { IncomingMessage } from "node:http";
import type { RequestContext } from "../../sdk/remote.ts";
import { MAX_JSON_DEPTH } from "../json-depth.ts";
import { LB_PAYLOAD_LIMIT } from "../schemas/job.ts";
import { type Reply, readJsonBody } from "./reply.ts";

/**
 * What a load-balanced handler receives, read from a request the same way in the dev server and in
 * deployed LB workers: the query for GET and DELETE, else the JSON body (an object; `{}` when
 * empty), and the request context. Bodies over RunPod's LB limit (30 MB) are a 413.
 */

/** Label of the LB limit in 413 answers. */
export const LB_LIMIT_LABEL = "30 MB, RunPod's limit for load-balanced requests";

export type LbRequest =
  | { ok: true; input: unknown; ctx: RequestContext }
  | { ok: false; reply: Reply | undefined };

/**
 * Reads an LB request. `url` is the request URL (path and query), `params` the route's path
 * parameters. A client that went away mid-body gets no reply (`reply` undefined).
 */
export async function readLbRequest(
  req: IncomingMessage,
  url: string,
  params: Record<string, string>,
): Promise<LbRequest> {
  const q = url.indexOf("?");
  const path = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? {} : queryObject(new URLSearchParams(url.slice(q + 1)));
  const method = req.method ?? "GET";
  const ctx: RequestContext = { method, path, params, query, headers: req.headers, raw: req };
  if (method === "GET" || method === "DELETE" || method === "HEAD") {
    req.resume();
    return { ok: true, input: query, ctx };
  }
  const body = await readJsonBody(req, {
    limit: LB_PAYLOAD_LIMIT,
    label: LB_LIMIT_LABEL,
    maxDepth: MAX_JSON_DEPTH,
  });
  if (!body.ok) return body;
  if (body.value === undefined) return { ok: true, input: {}, ctx };
  if (typeof body.value !== "object" || body.value === null || Array.isArray(body.value)) {
    return { ok: false, reply: { status: 400, body: { error: "The body must be a JSON object." } } };
  }
  if (body.text.includes("__proto__") && hasProtoKey(body.value)) {
    return {
      ok: false,
      reply: { status: 400, body: { error: 'The body must not contain a "__proto__" key.' } },
    };
  }
  return { ok: true, input: body.value, ctx };
}

/** Query parameters as an object: one value a string, a repeated one an array. */
export function queryObject(search: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of search) {
    if (k === "__proto__") continue;
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return query;
}

/**
 * True when any object in `value` has an own `__proto__` key (user code merging the body would
 * reach an object's prototype); an explicit stack, not recursion.
 */
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
