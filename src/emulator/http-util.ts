import type { IncomingMessage, ServerResponse } from "node:http";

/** Small helpers of the emulator's node:http server (no framework: the warm job path is hot). */

export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers?: Record<string, string>,
): void {
  if (res.headersSent || res.destroyed) return;
  const body = JSON.stringify(value);
  const head: Record<string, string | number> = {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
  };
  if (headers) Object.assign(head, headers);
  res.writeHead(status, head);
  res.end(body);
}

/** RunPod-style error body: `{"error": "<message>"}`. */
export function sendError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { error: message });
}

/** The API key of a request: `Authorization: Bearer KEY`, a bare `Authorization: KEY`, or `?api_key=`. */
export function requestKey(req: IncomingMessage, query: URLSearchParams | undefined): string | undefined {
  return keyOf(req.headers.authorization, query);
}

/** The API key in an `Authorization` header value (`Bearer KEY` or bare) or an `api_key` query parameter. */
export function keyOf(header: string | undefined, query: URLSearchParams | undefined): string | undefined {
  if (header) {
    const key = header.startsWith("Bearer ") ? header.slice(7).trim() : header.trim();
    if (key) return key;
  }
  const q = query?.get("api_key");
  return q ? q : undefined;
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
