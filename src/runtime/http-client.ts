import http from "node:http";
import https from "node:https";

/**
 * The worker's HTTP client: node:http with keep-alive agents. Not `fetch`: the job loop makes a few
 * requests per job and node:http is markedly cheaper per request, which is the warm round trip.
 */
const agents = {
  "http:": new http.Agent({ keepAlive: true, maxSockets: 64 }),
  "https:": new https.Agent({ keepAlive: true, maxSockets: 64 }),
};

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
    const mod = target.protocol === "https:" ? https : http;
    const headers: Record<string, string | number> = { ...options.headers };
    if (options.body !== undefined) headers["content-length"] = Buffer.byteLength(options.body);
    const req = mod.request(
      target,
      {
        method: options.method,
        headers,
        agent: agents[target.protocol === "https:" ? "https:" : "http:"],
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
