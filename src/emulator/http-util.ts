import type { IncomingMessage } from "node:http";
import { secretMatches } from "../shared/secret-compare.ts";

/** Small helpers of the emulator's node:http server (no framework: the warm job path is hot). */

export { sendError, sendJson } from "../shared/http/reply.ts";

/** The API key of a request: `Authorization: Bearer KEY`, a bare `Authorization: KEY`, or `?api_key=`. */
export function requestKey(req: IncomingMessage, query: URLSearchParams | undefined): string | undefined {
  return keyOf(req.headers.authorization, query);
}

/**
 * The API key of a request from its `Authorization` header value and `api_key` query parameter, or
 * undefined when it carries none. The header, when sent, decides: `Bearer KEY` (any case) or a bare
 * `KEY`, as RunPod's Python worker sends its key. An empty one (`Bearer ` with no token, which
 * arrives as `Bearer` once the header's trailing space is stripped) is no key, even next to an
 * `api_key`: a client that sends an empty key has a bug that should show, not be papered over.
 * Every surface (queue API, LB, GraphQL, worker protocol) reads keys through this function.
 */
export function keyOf(header: string | undefined, query: URLSearchParams | undefined): string | undefined {
  if (header !== undefined) {
    const value = header.trim();
    const bearer = /^bearer(?:\s+|$)/i.exec(value);
    const key = bearer ? value.slice(bearer[0].length).trim() : value;
    return key || undefined;
  }
  const q = query?.get("api_key")?.trim();
  return q ? q : undefined;
}

/**
 * True when `key` opens the emulator: with `apiKey` (`--api-key`) only that key, else any non-empty
 * key (SPEC section 6). Compared in constant time.
 */
export function keyAccepted(key: string | undefined, apiKey: string | undefined): key is string {
  return key !== undefined && key !== "" && (apiKey === undefined || secretMatches(key, apiKey));
}

/** An integer query parameter clamped to a range, or the default. */
export function intParam(
  query: URLSearchParams | undefined,
  name: string,
  range: { min: number; max: number; default: number },
): number {
  const raw = query?.get(name);
  const n = raw === null || raw === undefined || raw === "" ? Number.NaN : Number(raw);
  if (!Number.isFinite(n)) return range.default;
  return Math.min(range.max, Math.max(range.min, Math.trunc(n)));
}
