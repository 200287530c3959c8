import type { IncomingMessage, ServerResponse } from "node:http";
import { type JsonParse, parseJsonLimited } from "../json-depth.ts";
import { readBody } from "../read-body.ts";
import { type JsonBodyOptions, nonJsonBodyRefusal } from "../request-guard.ts";
import type { RouteMatch } from "./router.ts";

/**
 * How every Flash server answers and reads bodies (see router.ts): JSON answers, the 404, 405 and
 * 413 rules, and reading a JSON body under a limit. Messages name what was wrong and how to fix it.
 */

/** An answer as data: what a handler returns to be written. */
export interface Reply {
  status: number;
  /** A JSON value, written with `content-type: application/json`. */
  body: unknown;
  headers?: Record<string, string>;
}

/** Writes a JSON answer; a value JSON cannot carry becomes a 500 saying why. */
export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers?: Record<string, string>,
): void {
  if (res.headersSent || res.destroyed) return;
  let body: string;
  try {
    body = JSON.stringify(value) ?? "null";
  } catch (err) {
    status = 500;
    body = JSON.stringify({ error: `the response cannot be sent as JSON: ${(err as Error).message}` });
  }
  sendJsonText(res, status, body, headers);
}

/** Writes JSON text as it is. */
export function sendJsonText(
  res: ServerResponse,
  status: number,
  body: string,
  headers?: Record<string, string>,
): void {
  if (res.headersSent || res.destroyed) return;
  const head: Record<string, string | number> = {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  };
  if (headers) Object.assign(head, headers);
  res.writeHead(status, head);
  res.end(body);
}

/** `{"error": message}` with `status`. */
export function sendError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { error: message });
}

/** Writes a {@link Reply}. */
export function sendReply(res: ServerResponse, reply: Reply): void {
  sendJson(res, reply.status, reply.body, reply.headers);
}

/**
 * The answer to a request no route serves: 400 for a malformed path, 405 with `Allow` when the path
 * exists with other methods, else 404. `hint` ends the 404 message (e.g. where routes are listed).
 */
export function unroutedReply(
  match: Exclude<RouteMatch<unknown>, { kind: "found" }>,
  method: string,
  path: string,
  hint = "",
): Reply {
  if (match.kind === "malformed") return { status: 400, body: { error: match.message } };
  if (match.kind === "method") {
    return {
      status: 405,
      headers: { allow: match.allowed.join(", ") },
      body: { error: `Method ${method} is not allowed on ${path}; use ${match.allowed.join(" or ")}.` },
    };
  }
  return { status: 404, body: { error: `No route ${method} ${path}.${hint ? ` ${hint}` : ""}` } };
}

/** A JSON body read under a limit, or the reply refusing it. */
export type JsonBody = { ok: true; value: unknown; text: Buffer } | { ok: false; reply: Reply | undefined };

export interface ReadJsonOptions extends JsonBodyOptions {
  /** Bytes accepted; a larger body is a 413. */
  limit: number;
  /** Names the limit in the 413: `The body is too large (over <label>).` */
  label: string;
  /** Deepest nesting accepted (json-depth.ts). */
  maxDepth: number;
}

/**
 * Reads a request's JSON body: 413 past the limit (after draining it, so the client sees the
 * answer), 415 for a body that is not JSON, 400 for JSON that does not parse or nests too deep. An
 * empty body is `undefined`. A client that went away mid-body gets no reply (`reply` undefined).
 */
export async function readJsonBody(req: IncomingMessage, options: ReadJsonOptions): Promise<JsonBody> {
  const { body, tooLarge } = await readBody(req, options.limit);
  if (tooLarge) return refuse(413, `The body is too large (over ${options.label}).`);
  if (!req.complete) return { ok: false, reply: undefined };
  const notJson = nonJsonBodyRefusal(req.headers["content-type"], body.length, options);
  if (notJson) return refuse(notJson.status, notJson.message);
  if (body.length === 0) return { ok: true, value: undefined, text: body };
  const parsed: JsonParse = parseJsonLimited(body, options.maxDepth);
  if (!parsed.ok) {
    return refuse(
      400,
      parsed.reason === "depth"
        ? `The body is refused: ${parsed.message}.`
        : `The body is not valid JSON: ${parsed.message}. ${JSON_HINT}`,
    );
  }
  return { ok: true, value: parsed.value, text: body };
}

export const JSON_HINT = 'Send a JSON object, e.g. {"input": {"prompt": "hello"}}.';

function refuse(status: number, message: string): JsonBody {
  return { ok: false, reply: { status, body: { error: message } } };
}

/** The path of a request URL (without the query). */
export function pathOf(url: string): string {
  const q = url.indexOf("?");
  return q === -1 ? url : url.slice(0, q);
}

/** The query of a request URL, or undefined when it has none. */
export function queryOf(url: string): URLSearchParams | undefined {
  const q = url.indexOf("?");
  return q === -1 ? undefined : new URLSearchParams(url.slice(q + 1));
}
