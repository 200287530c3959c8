import http from "node:http";
import type https from "node:https";
import { createRequire } from "node:module";

/**
 * The worker's HTTP client: node:http with keep-alive agents. Not `fetch`: the job loop makes a few
 * requests per job and node:http is markedly cheaper per request, which is the warm round trip.
 * Per request it also avoids what node:http's conveniences cost on this path: a URL object handed to
 * `request()` (converted again to options), an abort listener per request (one per signal here) and
 * an idle-socket timer per request (one sweep for all requests in flight).
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

interface Pending {
  req: http.ClientRequest;
  deadline: number;
  timeoutMs: number;
}

/** Requests in flight, by the signal that aborts them (one listener per signal, not per request). */
const bySignal = new WeakMap<AbortSignal, Set<Pending>>();
/** Every request in flight, for the timeout sweep. */
const inFlight = new Set<Pending>();
let sweeper: NodeJS.Timeout | undefined;
/** How often timeouts are checked: a request times out between timeoutMs and timeoutMs + this. */
const SWEEP_MS = 1000;

function sweep(): void {
  const now = performance.now();
  for (const p of inFlight) {
    if (now >= p.deadline) p.req.destroy(new Error(`request timed out after ${p.timeoutMs} ms`));
  }
  if (inFlight.size === 0 && sweeper) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

function track(p: Pending, signal: AbortSignal | undefined): () => void {
  inFlight.add(p);
  if (!sweeper) {
    sweeper = setInterval(sweep, SWEEP_MS);
    sweeper.unref();
  }
  let set: Set<Pending> | undefined;
  if (signal) {
    set = bySignal.get(signal);
    if (!set) {
      const mine = new Set<Pending>();
      set = mine;
      bySignal.set(signal, mine);
      signal.addEventListener(
        "abort",
        () => {
          for (const q of [...mine]) q.req.destroy(abortError());
          mine.clear();
        },
        { once: true },
      );
    }
    set.add(p);
  }
  return () => {
    inFlight.delete(p);
    set?.delete(p);
  };
}

function abortError(): Error {
  const err = new Error("The operation was aborted");
  err.name = "AbortError";
  return err;
}

/** Parsed request targets, by URL: the worker calls a handful of URLs over and over. */
const targets = new Map<string, { tls: boolean; hostname: string; port: string; path: string }>();

function target(url: string): { tls: boolean; hostname: string; port: string; path: string } {
  let t = targets.get(url);
  if (!t) {
    const u = new URL(url);
    const hostname = u.hostname.startsWith("[") ? u.hostname.slice(1, -1) : u.hostname;
    t = { tls: u.protocol === "https:", hostname, port: u.port, path: u.pathname + u.search };
    // Job-done URLs carry the job id: keep the map small.
    if (targets.size >= 64) targets.clear();
    targets.set(url, t);
  }
  return t;
}

/** One request; rejects on network errors, timeouts and aborts, resolves with any HTTP status. */
export function httpRequest(url: string, options: HttpRequestOptions): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(abortError());
    const t = target(url);
    const tls = t.tls ? secure() : undefined;
    const mod = tls?.mod ?? http;
    const headers: Record<string, string | number> = { ...options.headers };
    if (options.body !== undefined) headers["content-length"] = Buffer.byteLength(options.body);
    const req = mod.request(
      {
        protocol: t.tls ? "https:" : "http:",
        hostname: t.hostname,
        port: t.port || undefined,
        path: t.path,
        method: options.method,
        headers,
        agent: tls?.agent ?? httpAgent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          untrack();
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers["content-type"] ?? ""),
            body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
          });
        });
        res.on("error", (err) => {
          untrack();
          reject(err);
        });
      },
    );
    const untrack = track(
      { req, deadline: performance.now() + options.timeoutMs, timeoutMs: options.timeoutMs },
      options.signal,
    );
    req.on("error", (err) => {
      untrack();
      reject(err);
    });
    req.end(options.body);
  });
}

/** Appends query parameters to a URL template that may or may not already contain `?`. */
export function withParams(url: string, params: Record<string, string>): string {
  const query = new URLSearchParams(params).toString();
  if (!query) return url;
  return url + (url.includes("?") ? (url.endsWith("?") || url.endsWith("&") ? "" : "&") : "?") + query;
}
