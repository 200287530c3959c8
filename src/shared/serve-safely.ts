import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * A node:http request listener that may answer asynchronously: a returned promise settles when the
 * request is answered (or handed on), and its rejection is a failure of the request.
 */
export type SafeRequestListener = (req: IncomingMessage, res: ServerResponse) => unknown;

export interface ServeSafelyOptions {
  /** Starts the 500's message, e.g. `emulator error`. @default "internal error" */
  label?: string;
  /** Told about every failure (the server's log); never gets the request body. */
  onError?: (err: unknown, req: IncomingMessage) => void;
}

/**
 * Wraps a request listener so that its failure, a synchronous throw or a rejected promise, answers
 * that one request `500 {"error": "<label>: <message>"}` (or, when the answer has begun, cuts its
 * connection) instead of reaching node's uncaught-error handlers and ending the process, which
 * would drop every other request, endpoint and job the server holds. Work a listener starts in
 * event callbacks it does not return is not covered: turn it into the returned promise.
 */
export function serveSafely(
  listener: SafeRequestListener,
  options: ServeSafelyOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const label = options.label ?? "internal error";
  const fail = (req: IncomingMessage, res: ServerResponse, err: unknown): void => {
    try {
      options.onError?.(err, req);
    } catch {
      // A failing logger must not turn one failed request into a dead server either.
    }
    failResponse(res, `${label}: ${err instanceof Error ? err.message : String(err)}`);
  };
  return (req, res) => {
    let result: unknown;
    try {
      result = listener(req, res);
    } catch (err) {
      fail(req, res, err);
      return;
    }
    if (isThenable(result)) result.then(undefined, (err: unknown) => fail(req, res, err));
  };
}

/** Answers `500 {"error": message}`, or cuts the connection when the answer has already begun. */
export function failResponse(res: ServerResponse, message: string): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: message });
  try {
    res.writeHead(500, {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(body),
    });
    res.end(body);
  } catch {
    res.destroy();
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function"
  );
}
