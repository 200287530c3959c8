import http from "node:http";
import type https from "node:https";
import { createRequire } from "node:module";

/**
 * The worker's HTTP client: node:http with keep-alive agents. Not `fetch`: the job loop makes a few
 * requests per job and node:http is markedly cheaper per request, which is the warm round trip.
 */
const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
let httpsModule: { mod: typeof https; agent: https.Agent } | undefined;

/** node:https (and TLS) loads only when a URL needs it: the emulator's workers never do, and it costs start-up time. */
function secure(): { mod: typeof https; agent: https.Agent } {
  if (!httpsModule) {
    const mod = createRequire(import.meta.url)("node:https") as typeof https;
    httpsModule = { mod, agent: new mod.Agent({ keepAlive: true, maxSockets: 64 }) };
  }
  return httpsModule;
}

export interface HttpReply {
  status: number;
  contentType: string;
  body: Buffer;
}

export interface HttpRequestOptions {
  method: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** One request; rejects on network errors, timeouts and aborts, resolves with any HTTP status. */
export function httpRequest(url: string, options: HttpRequestOptions): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const tls = target.protocol === "https:" ? secure() : undefined;
    const mod = tls?.mod ?? http;
    const headers: Record<string, string | number> = { ...options.headers };
    if (options.body !== undefined) headers["content-length"] = Buffer.byteLength(options.body);
    const req = mod.request(
      target,
      {
        method: options.method,
        headers,
        agent: tls?.agent ?? httpAgent,
        signal: options.signal,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers["content-type"] ?? ""),
            body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
          }),
        );
        res.on("error", reject);
      },
    );
    req.setTimeout(options.timeoutMs, () =>
      req.destroy(new Error(`request timed out after ${options.timeoutMs} ms`)),
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** Appends query parameters to a URL template that may or may not already contain `?`. */
export function withParams(url: string, params: Record<string, string>): string {
  const query = new URLSearchParams(params).toString();
  if (!query) return url;
  return url + (url.includes("?") ? (url.endsWith("?") || url.endsWith("&") ? "" : "&") : "?") + query;
}
