import type { QueueTransport } from "../shared/queue-transport.ts";
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
 * The queue API of an emulator, for the process it runs in (`flash run --local`, whose queue client
 * and embedded emulator are one process): each request is answered by the very handler the HTTP
 * server calls for it (queue-api.ts: same key check, limits, states and messages) with no socket
 * and no HTTP framing on either side, and the answer is the status and JSON text the server would
 * have written. The worker protocol is not served here (workers are other processes and always
 * speak HTTP); its paths answer 404.
 */
export function createLocalQueue(serve: QueueServer): QueueTransport {
  return (r) => {
    if (r.signal?.aborted) return Promise.reject(abortReason(r.signal));
    const q = r.path.indexOf("?");
    const path = `/v2/${encodeURIComponent(r.endpointId)}${q < 0 ? r.path : r.path.slice(0, q)}`;
    const parts = path.split("/").filter(Boolean);
    const action = parts[2];
    if (action === undefined || isWorkerProtocolAction(action)) {
      return Promise.resolve(answer({ status: 404, body: { error: `no such route: ${path}` } }));
    }
    const body = r.body ?? "";
    const request: QueueRequest = {
      method: r.method,
      path,
      authorization: r.apiKey ? `Bearer ${r.apiKey}`.trim() : undefined,
      // The queue client sends JSON bodies only (what it sends over HTTP says so too).
      contentType: "application/json",
      query: q < 0 ? undefined : new URLSearchParams(r.path.slice(q + 1)),
      readBody: (limit) =>
        Promise.resolve({
          body,
          // A UTF-16 code unit is at most 3 bytes of UTF-8: only long strings need counting.
          tooLarge: body.length * 3 > limit && Buffer.byteLength(body) > limit,
        }),
      discardBody: () => {},
    };
    const reply = serve(r.endpointId, action, parts.slice(3), request).then(answer);
    const signal = r.signal;
    if (!signal) return reply;
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(abortReason(signal));
      signal.addEventListener("abort", onAbort, { once: true });
      reply.then(
        (a) => {
          signal.removeEventListener("abort", onAbort);
          resolve(a);
        },
        (err: unknown) => {
          signal.removeEventListener("abort", onAbort);
          reject(err);
        },
      );
    });
  };
}

function answer(reply: QueueReply): { status: number; text: string } {
  return { status: reply.status, text: JSON.stringify(reply.body) };
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}
