/**
 * The seam between RunPod's queue client (src/cloud/queue-client.ts) and an emulator running in the
 * same process (src/emulator/local-queue.ts): a queue API request without HTTP, answered with the
 * status and JSON text the HTTP server would send.
 */

/** One queue API request, as a client makes it: `POST /v2/{endpointId}/runsync?wait=90000` and its body. */
export interface QueueTransportRequest {
  method: "GET" | "POST";
  endpointId: string;
  /** What follows `/v2/{endpointId}`: `/runsync?wait=90000`, `/status/{id}`, ... */
  path: string;
  /** Sent as `Authorization: Bearer <key>` over HTTP. */
  apiKey: string | undefined;
  body: string | undefined;
  /** Aborting rejects the call; the server then goes on as after a client that hung up. */
  signal?: AbortSignal;
}

/** Answers queue API requests without HTTP: status and JSON text, as the server would send them. */
export type QueueTransport = (request: QueueTransportRequest) => Promise<{ status: number; text: string }>;
