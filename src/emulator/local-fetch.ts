import { STATUS_CODES } from "node:http";
import type { QueueReply, QueueRequest } from "./queue-api.ts";
import { isWorkerProtocolAction } from "./worker-protocol.ts";

/** Serves one queue API request: what the HTTP server calls for `/v2/{endpointId}/{action}/...`. */
export type QueueServer = (
  endpointId: string,
  action: string,
  rest: readonly string[],
  request: QueueRequest,
) => Promise<QueueReply>;

/**
 * A `fetch` for the process an emulator runs in, for its own calls to that emulator's queue API
 * (`flash run --local`: the dev server's queue client and its local workers' emulator are one
 * process). Requests to `<origin>/v2/{endpointId}/{run,runsync,status,...}` are answered by the very
 * handlers the HTTP server calls (queue-api.ts: same key check, limits, states, messages), with no
 * socket and no HTTP parsing on either side; the response is what the server would have written
 * (status and JSON text). Anything else (the worker protocol, GraphQL, other origins) goes to
 * `fallback`. An aborted signal rejects the call as `fetch` does, and the emulator then goes on as it
 * would after a client hung up.
 */
export function createLocalFetch(
  origin: string,
  serve: QueueServer,
  fallback: typeof fetch = fetch,
): typeof fetch {
  const prefix = `${origin}/v2/`;
  return ((input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : undefined;
    if (url === undefined || !url.startsWith(prefix)) return fallback(input, init);
    const q = url.indexOf("?", prefix.length);
    const pathEnd = q < 0 ? url.length : q;
    const path = url.slice(origin.length, pathEnd);
    const parts = path.split("/").filter(Boolean);
    const action = parts[2];
    if (parts.length < 3 || action === undefined || isWorkerProtocolAction(action)) {
      return fallback(input, init);
    }
    const body = bodyText(init.body);
    if (body === undefined) return fallback(input, init);
    const signal = init.signal ?? undefined;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const request: QueueRequest = {
      method: (init.method ?? "GET").toUpperCase(),
      path,
      authorization: authorizationOf(init.headers),
      query: q < 0 ? undefined : new URLSearchParams(url.slice(q + 1)),
      readBody: (limit) =>
        Promise.resolve({
          body,
          // A UTF-16 code unit is at most 3 bytes of UTF-8: only long strings need counting.
          tooLarge: body.length * 3 > limit && Buffer.byteLength(body) > limit,
        }),
      discardBody: () => {},
    };
    const reply = serve(decodeURIComponent(parts[1]!), action, parts.slice(3), request);
    if (!signal) return reply.then(responseOf);
    return new Promise<Response>((resolve, reject) => {
      const onAbort = () => reject(abortReason(signal));
      signal.addEventListener("abort", onAbort, { once: true });
      void reply.then((r) => {
        signal.removeEventListener("abort", onAbort);
        resolve(responseOf(r));
      });
    });
  }) as typeof fetch;
}

/** The body as text; undefined for a kind this transport does not take (streams, forms). */
function bodyText(body: RequestInit["body"]): string | undefined {
  if (body === undefined || body === null) return "";
  if (typeof body === "string") return body;
  if (body instanceof Uint8Array)
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString();
  return undefined;
}

/** The `Authorization` header as the server would read it (HTTP drops the spaces around a value). */
function authorizationOf(headers: RequestInit["headers"]): string | undefined {
  return headerValue(headers)?.trim();
}

function headerValue(headers: RequestInit["headers"]): string | undefined {
  if (headers === undefined) return undefined;
  if (headers instanceof Headers) return headers.get("authorization") ?? undefined;
  if (Array.isArray(headers)) {
    return headers.find(([name]) => name?.toLowerCase() === "authorization")?.[1];
  }
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === "authorization") return typeof value === "string" ? value : value.join(", ");
  }
  return undefined;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}

/** What the HTTP server would have written, as the part of a `Response` the queue client reads. */
function responseOf(reply: QueueReply): Response {
  const text = JSON.stringify(reply.body);
  return {
    ok: reply.status >= 200 && reply.status < 300,
    status: reply.status,
    statusText: STATUS_CODES[reply.status] ?? "",
    headers: new Headers({ "content-type": "application/json" }),
    text: async () => text,
    json: async () => JSON.parse(text),
  } as unknown as Response;
}
