import type http from "node:http";
import type https from "node:https";
import { createRequire } from "node:module";
import net from "node:net";

/**
 * The worker's HTTP client: node:http with keep-alive agents. Not `fetch`: the job loop makes a few
 * requests per job and node:http is markedly cheaper per request, which is the warm round trip.
 * Per request it also avoids what node:http's conveniences cost on this path: an abort listener per
 * request (one per signal here) and an idle-socket timer per request (one sweep for all requests in
 * flight). Plain `http:` requests (the emulator's workers, on loopback) go over a minimal HTTP/1.1
 * client on keep-alive sockets (`rawRequest`), about a third of node:http's CPU per request; HTTPS
 * (RunPod) and anything unusual (headers that are not plain ASCII) take node:http(s).
 */
const load = createRequire(import.meta.url);
let httpModule: { mod: typeof http; agent: http.Agent } | undefined;
let httpsModule: { mod: typeof https; agent: https.Agent } | undefined;

/** node:http loads only for what the minimal client does not serve (a worker of the emulator never needs it). */
function plain(): { mod: typeof http; agent: http.Agent } {
  if (!httpModule) {
    const mod = load("node:http") as typeof http;
    httpModule = { mod, agent: new mod.Agent({ keepAlive: true, maxSockets: 64 }) };
  }
  return httpModule;
}

/** node:https (and TLS) loads only when a URL needs it: the emulator's workers never do, and it costs start-up time. */
function secure(): { mod: typeof https; agent: https.Agent } {
  if (!httpsModule) {
    const mod = load("node:https") as typeof https;
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
  /** Ends the request with this error (timeout, abort). */
  destroy: (err: Error) => void;
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
    if (now >= p.deadline) p.destroy(new Error(`request timed out after ${p.timeoutMs} ms`));
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
          for (const q of [...mine]) q.destroy(abortError());
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
interface Target {
  tls: boolean;
  /** Plain http: (the minimal client may serve it). */
  raw: boolean;
  hostname: string;
  port: string;
  path: string;
  /** `host:port` of the connection pool and of the Host header. */
  host: string;
}

const targets = new Map<string, Target>();

function target(url: string): Target {
  let t = targets.get(url);
  if (!t) {
    const u = new URL(url);
    const hostname = u.hostname.startsWith("[") ? u.hostname.slice(1, -1) : u.hostname;
    const tls = u.protocol === "https:";
    const raw = u.protocol === "http:";
    t = { tls, raw, hostname, port: u.port, path: u.pathname + u.search, host: u.host };
    // Job-done URLs carry the job id: keep the map small.
    if (targets.size >= 64) targets.clear();
    targets.set(url, t);
  }
  return t;
}

/** One request; rejects on network errors, timeouts and aborts, resolves with any HTTP status. */
export function httpRequest(url: string, options: HttpRequestOptions): Promise<HttpReply> {
  if (options.signal?.aborted) return Promise.reject(abortError());
  const t = target(url);
  if (t.raw) {
    const head = requestHead(t, options);
    if (head !== undefined) return rawRequest(t, head, options);
  }
  return nodeRequest(t, options);
}

function nodeRequest(t: Target, options: HttpRequestOptions): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    if (!t.tls && !t.raw) throw new Error(`unsupported protocol in ${t.host}${t.path}: use http or https`);
    const { mod, agent } = t.tls ? secure() : plain();
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
        agent,
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
      {
        destroy: (err) => req.destroy(err),
        deadline: performance.now() + options.timeoutMs,
        timeoutMs: options.timeoutMs,
      },
      options.signal,
    );
    req.on("error", (err) => {
      untrack();
      reject(err);
    });
    req.end(options.body);
  });
}

// ---- the minimal HTTP/1.1 client of plain http: requests ----

/** Idle keep-alive sockets, by `host:port`. */
const idle = new Map<string, net.Socket[]>();
/** Printable ASCII (and tab): header values that need no encoding decisions. */
const PLAIN = /^[\t\x20-\x7e]*$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The request line and headers, or undefined when they need node:http (not plain ASCII). */
function requestHead(t: Target, options: HttpRequestOptions): string | undefined {
  if (!PLAIN.test(t.path) || t.path.includes(" ")) return undefined;
  let head = `${options.method} ${t.path} HTTP/1.1\r\nhost: ${t.host}\r\n`;
  const headers = options.headers;
  if (headers) {
    for (const name in headers) {
      const value = headers[name]!;
      if (!TOKEN.test(name) || !PLAIN.test(value)) return undefined;
      head += `${name}: ${value}\r\n`;
    }
  }
  if (options.body !== undefined) head += `content-length: ${Buffer.byteLength(options.body)}\r\n`;
  return `${head}\r\n`;
}

function idleSocket(host: string): net.Socket | undefined {
  const list = idle.get(host);
  let s = list?.pop();
  while (s && (s.destroyed || !s.writable)) s = list?.pop();
  return s;
}

function release(host: string, s: net.Socket): void {
  let list = idle.get(host);
  if (!list) {
    list = [];
    idle.set(host, list);
  }
  s.unref();
  list.push(s);
}

function connect(t: Target): net.Socket {
  const s = net.connect({ host: t.hostname, port: Number(t.port) || 80 });
  s.setNoDelay(true);
  s.setKeepAlive(true, 60_000);
  // An idle socket the server closes leaves the pool; errors on it are only that.
  s.on("error", () => {});
  s.on("close", () => {
    const list = idle.get(t.host);
    const i = list ? list.indexOf(s) : -1;
    if (i >= 0) list!.splice(i, 1);
  });
  return s;
}

/**
 * One request over a pooled socket. A reused socket that the server had closed fails before any byte
 * of an answer arrives: the request is then sent once more on a new connection.
 */
function rawRequest(t: Target, head: string, options: HttpRequestOptions): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let socket: net.Socket | undefined;
    const finish = (err: Error | undefined, reply?: HttpReply) => {
      if (settled) return;
      settled = true;
      untrack();
      if (err) reject(err);
      else resolve(reply!);
    };
    const untrack = track(
      {
        destroy: (err) => {
          socket?.destroy();
          finish(err);
        },
        deadline: performance.now() + options.timeoutMs,
        timeoutMs: options.timeoutMs,
      },
      options.signal,
    );
    const send = (s: net.Socket, reused: boolean) => {
      socket = s;
      s.ref();
      const parser = new ResponseParser(options.method);
      const cleanup = () => {
        s.off("data", onData);
        s.off("end", onEnd);
        s.off("close", onClose);
        s.off("error", onError);
      };
      const fail = (err: Error) => {
        cleanup();
        s.destroy();
        if (settled) return;
        if (reused && !parser.started) send(connect(t), false);
        else finish(err);
      };
      const onData = (chunk: Buffer) => {
        let reply: ReturnType<ResponseParser["push"]>;
        try {
          reply = parser.push(chunk);
        } catch (err) {
          cleanup();
          s.destroy();
          finish(err as Error);
          return;
        }
        if (!reply) return;
        cleanup();
        if (reply.keepAlive && !settled) release(t.host, s);
        else s.destroy();
        finish(undefined, reply.reply);
      };
      const onEnd = () => {
        const reply = parser.end();
        if (reply) {
          cleanup();
          s.destroy();
          finish(undefined, reply);
        } else fail(new Error("socket hang up"));
      };
      const onClose = () => fail(new Error("socket hang up"));
      const onError = (err: Error) => fail(err);
      s.on("data", onData);
      s.on("end", onEnd);
      s.on("close", onClose);
      s.on("error", onError);
      s.write(options.body === undefined ? head : head + options.body);
    };
    const pooled = idleSocket(t.host);
    send(pooled ?? connect(t), pooled !== undefined);
  });
}

/** Reads one HTTP/1.1 response: Content-Length, chunked, or until the connection ends. */
class ResponseParser {
  /** Some bytes of the answer arrived (a reused socket that fails after this is not retried). */
  started = false;
  /** Bytes of the head, until it is complete. */
  private head: Buffer | undefined;
  /** Bytes of the body so far (concatenated once, not per chunk: job-take answers can be large). */
  private parts: Buffer[] = [];
  private received = 0;
  private status = 0;
  private contentType = "";
  private keepAlive = true;
  /** Body framing once the head is read. */
  private mode: "length" | "chunked" | "eof" | undefined;
  private length = 0;

  constructor(private readonly method: string) {}

  push(chunk: Buffer): { reply: HttpReply; keepAlive: boolean } | undefined {
    this.started = true;
    if (this.mode === undefined) {
      this.head = this.head ? Buffer.concat([this.head, chunk]) : chunk;
      const rest = this.readHead();
      if (rest === undefined) return undefined;
      this.head = undefined;
      chunk = rest;
    }
    if (chunk.length > 0) {
      this.parts.push(chunk);
      this.received += chunk.length;
    }
    return this.readBody();
  }

  /** The connection ended: the answer, if it was read until the end. */
  end(): HttpReply | undefined {
    return this.mode === "eof" ? this.reply(this.body()) : undefined;
  }

  private body(): Buffer {
    if (this.parts.length !== 1) this.parts = [Buffer.concat(this.parts)];
    return this.parts[0]!;
  }

  /** Parses the head once complete; returns the bytes after it, or undefined while incomplete. */
  private readHead(): Buffer | undefined {
    let buf = this.head!;
    for (;;) {
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) {
        if (buf.length > 64 * 1024) throw new Error("response headers too large");
        this.head = buf;
        return undefined;
      }
      const lines = buf.toString("latin1", 0, end).split("\r\n");
      const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0]!);
      if (!m) throw new Error("malformed HTTP response");
      const status = Number(m[2]);
      buf = buf.subarray(end + 4);
      // An interim answer (100 Continue): the real one follows.
      if (status >= 100 && status < 200 && status !== 101) continue;
      this.status = status;
      this.keepAlive = m[1] === "1";
      let length: number | undefined;
      let chunked = false;
      for (let i = 1; i < lines.length; i++) {
        const line = lines[i]!;
        const colon = line.indexOf(":");
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        if (name === "content-length") length = Number(value);
        else if (name === "content-type") this.contentType = value;
        else if (name === "transfer-encoding") chunked = value.toLowerCase().includes("chunked");
        else if (name === "connection") {
          const v = value.toLowerCase();
          if (v.includes("close")) this.keepAlive = false;
          else if (v.includes("keep-alive")) this.keepAlive = true;
        }
      }
      if (this.method === "HEAD" || status === 204 || status === 304) {
        this.mode = "length";
        this.length = 0;
      } else if (chunked) this.mode = "chunked";
      else if (length !== undefined) {
        if (!Number.isSafeInteger(length) || length < 0) throw new Error("malformed Content-Length");
        this.mode = "length";
        this.length = length;
      } else {
        this.mode = "eof";
        this.keepAlive = false;
      }
      return buf;
    }
  }

  private readBody(): { reply: HttpReply; keepAlive: boolean } | undefined {
    if (this.mode === "length") {
      if (this.received < this.length) return undefined;
      // Bytes after the answer: the connection is out of step, do not reuse it.
      const keepAlive = this.keepAlive && this.received === this.length;
      const body = this.length === 0 ? Buffer.alloc(0) : this.body().subarray(0, this.length);
      return { reply: this.reply(body), keepAlive };
    }
    if (this.mode === "chunked") {
      const buf = this.body();
      const parts: Buffer[] = [];
      let at = 0;
      for (;;) {
        const eol = buf.indexOf("\r\n", at);
        if (eol < 0) return undefined;
        const size = Number.parseInt(buf.toString("latin1", at, eol).split(";")[0]!.trim(), 16);
        if (!Number.isSafeInteger(size) || size < 0) throw new Error("malformed chunk size");
        if (size === 0) {
          // Trailers (usually none) end with an empty line.
          const bare = buf.length >= eol + 4 && buf[eol + 2] === 13 && buf[eol + 3] === 10;
          const end = bare ? eol + 4 : buf.indexOf("\r\n\r\n", eol) + 4;
          if (end < 4) return undefined;
          const keepAlive = this.keepAlive && buf.length === end;
          return { reply: this.reply(parts.length === 1 ? parts[0]! : Buffer.concat(parts)), keepAlive };
        }
        if (buf.length < eol + 2 + size + 2) return undefined;
        parts.push(buf.subarray(eol + 2, eol + 2 + size));
        at = eol + 2 + size + 2;
      }
    }
    return undefined; // "eof": the body is complete when the connection ends
  }

  private reply(body: Buffer): HttpReply {
    return { status: this.status, contentType: this.contentType, body };
  }
}

/** Appends query parameters to a URL template that may or may not already contain `?`. */
export function withParams(url: string, params: Record<string, string>): string {
  const query = new URLSearchParams(params).toString();
  if (!query) return url;
  return url + (url.includes("?") ? (url.endsWith("?") || url.endsWith("&") ? "" : "&") : "?") + query;
}
