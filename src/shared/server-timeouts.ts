import type { ServerOptions } from "node:http";

/** Request timeouts of a server, in ms (tests shorten them). */
export interface ServerTimeouts {
  headersMs: number;
  requestMs: number;
  checkIntervalMs?: number;
}

/**
 * How long the emulator and the dev server wait for a client to send a request. Node's
 * `requestTimeout` covers receiving the request only (headers and body), so a client that stalls
 * mid-body is answered 408 and cut off, while answers that take long (long polls, `runsync` with
 * `?wait=` up to 300 s, streamed responses) are not affected; idle keep-alive connections are
 * governed by `keepAliveTimeout` instead.
 */
export const SERVER_TIMEOUTS: Required<ServerTimeouts> = {
  /** Whole request, body included: RunPod's payload limits (30 MB) take far less on any link that works. */
  requestMs: 5 * 60_000,
  /** Request headers. */
  headersMs: 60_000,
  /** How often Node checks connections against the two (its default is 30 s). */
  checkIntervalMs: 30_000,
};

/** The `createServer` options enforcing `timeouts` (default {@link SERVER_TIMEOUTS}). */
export function timeoutServerOptions(timeouts: ServerTimeouts = SERVER_TIMEOUTS): ServerOptions {
  return {
    requestTimeout: timeouts.requestMs,
    headersTimeout: timeouts.headersMs,
    connectionsCheckingInterval: timeouts.checkIntervalMs ?? SERVER_TIMEOUTS.checkIntervalMs,
  };
}
