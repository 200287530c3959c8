import { setTimeout as sleep } from "node:timers/promises";
import { FlashError } from "../shared/errors.ts";
import { VERSION } from "../shared/version.ts";

/**
 * The one HTTP path every RunPod call of Flash takes: URL resolution (real RunPod or the emulator),
 * auth header, capped exponential backoff for calls that are safe to repeat, and errors that name the
 * operation and RunPod's message. The API key is sent only as a header and scrubbed from every
 * message this module builds, so no thrown object or event can carry it.
 */

/** RunPod's hosts, or the emulator's routes under one origin when `RUNPOD_API_URL` is set. */
export interface RunpodUrls {
  /** GraphQL control plane: `https://api.runpod.io/graphql` or `<origin>/graphql`. */
  graphql: string;
  /** Queue data plane base, `/{endpointId}/run` appended: `https://api.runpod.ai/v2` or `<origin>/v2`. */
  queue: string;
  /** Base URL of a load-balanced endpoint: `https://{id}.api.runpod.ai` or `<origin>/lb/{id}`. */
  lb: (endpointId: string) => string;
  /** The emulator origin when `RUNPOD_API_URL` is set, else undefined (real RunPod). */
  emulatorOrigin: string | undefined;
}

/** Real RunPod's GraphQL endpoint. */
export const RUNPOD_GRAPHQL_URL = "https://api.runpod.io/graphql";
/** Real RunPod's queue data plane. */
export const RUNPOD_QUEUE_URL = "https://api.runpod.ai/v2";

/**
 * Resolves where RunPod calls go. `RUNPOD_API_URL=<origin>` (the emulator) puts every route under
 * that origin; unset, the real hosts are used.
 * @throws FlashError USAGE when `RUNPOD_API_URL` is not an http(s) URL.
 */
export function runpodUrls(env: NodeJS.ProcessEnv = process.env): RunpodUrls {
  const raw = env.RUNPOD_API_URL?.trim();
  if (!raw) {
    return {
      graphql: RUNPOD_GRAPHQL_URL,
      queue: RUNPOD_QUEUE_URL,
      lb: (id) => `https://${id}.api.runpod.ai`,
      emulatorOrigin: undefined,
    };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FlashError("USAGE", `RUNPOD_API_URL is not a URL: ${JSON.stringify(raw)}.`, {
      hint: "Set it to the emulator's origin, e.g. RUNPOD_API_URL=http://127.0.0.1:8787, or unset it.",
    });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new FlashError("USAGE", `RUNPOD_API_URL must be an http(s) URL, got ${JSON.stringify(raw)}.`);
  }
  // Accept the origin with or without a trailing `/graphql`, as people copy either.
  const origin = `${url.origin}${url.pathname.replace(/\/graphql\/?$/, "").replace(/\/+$/, "")}`;
  return {
    graphql: `${origin}/graphql`,
    queue: `${origin}/v2`,
    lb: (id) => `${origin}/lb/${id}`,
    emulatorOrigin: origin,
  };
}

/** How often and how long to back off. Delays double per attempt, capped, with jitter. */
export interface RetryPolicy {
  /** Extra attempts after the first. */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Defaults: 4 retries, 0.5 s doubling to at most 8 s (about 15 s in all). */
export const DEFAULT_RETRY: RetryPolicy = { retries: 4, baseDelayMs: 500, maxDelayMs: 8000 };

/** What the HTTP layer reports, for debug logging; never contains the key or a presigned URL. */
export type HttpEvent =
  | { type: "retry"; operation: string; attempt: number; delayMs: number; reason: string }
  | { type: "response"; operation: string; status: number; attempt: number };

/** Options shared by every client built on {@link sendRequest}. */
export interface HttpOptions {
  /** Replaceable for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
  retry?: RetryPolicy;
  /** Per-attempt timeout. */
  timeoutMs?: number;
  onEvent?: (event: HttpEvent) => void;
  userAgent?: string;
}

/** One logical request; `operation` is the name errors and events use. */
export interface HttpRequest {
  operation: string;
  url: string;
  method: "GET" | "POST" | "PUT" | "DELETE";
  apiKey?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /**
   * True when repeating the request cannot do harm (queries, full-replace updates, PUT of the same
   * bytes): only then are 429, 5xx, timeouts and network errors retried. A request that never
   * reached the server (connection refused) is retried either way.
   */
  idempotent: boolean;
  signal?: AbortSignal;
  /** Strings to scrub from messages besides the API key (e.g. a presigned URL). */
  secrets?: string[];
  /**
   * Whether 401/403 mean a bad API key (RUNPOD_AUTH). False for presigned URLs, where a 403 means an
   * expired or bad signature, not a key problem.
   */
  authErrors?: boolean;
  /**
   * Resolve with 4xx and 5xx answers instead of failing (after the retries that apply), for callers
   * that pass the answer on as it is (the dev server's QB prefixes). 401/403 still fail unless
   * `authErrors` is false.
   */
  anyStatus?: boolean;
}

/** A 2xx response, body read as text. */
export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/** Error codes of a connection that was never established: the request cannot have been applied. */
const NEVER_SENT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN"]);
/** Of those, the ones worth retrying even for a mutation (an unknown host stays unknown). */
const RETRY_NEVER_SENT_CODES = new Set(["ECONNREFUSED", "EAI_AGAIN"]);

/**
 * Sends one request with retries; resolves only with a 2xx response.
 * @throws FlashError RUNPOD_AUTH on 401/403, RUNPOD_API on any other failure, ABORTED when `signal` aborts.
 */
export async function sendRequest(request: HttpRequest, options: HttpOptions = {}): Promise<HttpResponse> {
  const doFetch = options.fetch ?? fetch;
  const policy = options.retry ?? DEFAULT_RETRY;
  const secrets = [request.apiKey, request.url, ...(request.secrets ?? [])].filter(
    (s): s is string => typeof s === "string" && s.length > 0,
  );
  const scrub = (text: string) => redact(text, secrets);
  const headers: Record<string, string> = {
    "user-agent": options.userAgent ?? `runpod-flash-ts/${VERSION} (Node ${process.versions.node})`,
    ...request.headers,
  };
  if (request.apiKey) headers.authorization = `Bearer ${request.apiKey}`;
  const where = describeUrl(request.url);

  for (let attempt = 0; ; attempt++) {
    if (request.signal?.aborted) throw aborted(request.operation);
    const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    const canRetry = attempt < policy.retries;

    let response: Response;
    let text: string;
    try {
      response = await doFetch(request.url, {
        method: request.method,
        headers,
        body: request.body,
        signal,
      });
      text = await response.text();
    } catch (err) {
      if (request.signal?.aborted) throw aborted(request.operation);
      const timedOut = timeout.aborted;
      const code = errorCode(err);
      const retriable =
        request.idempotent || (!timedOut && code !== undefined && RETRY_NEVER_SENT_CODES.has(code));
      const reason = timedOut
        ? `no response within ${formatMs(options.timeoutMs ?? DEFAULT_TIMEOUT_MS)}`
        : `network error${code ? ` ${code}` : ""}: ${scrub(errorMessage(err))}`;
      if (retriable && canRetry) {
        await backoff(request, options, policy, attempt, reason, undefined);
        continue;
      }
      const unknownOutcome = !request.idempotent && !(code && NEVER_SENT_CODES.has(code));
      throw new FlashError(
        "RUNPOD_API",
        `RunPod ${request.operation} failed: ${reason} (${where}).` +
          (unknownOutcome ? " It may or may not have been applied; check before retrying." : ""),
        { hint: networkHint(request.url) },
      );
    }

    options.onEvent?.({ type: "response", operation: request.operation, status: response.status, attempt });
    if (response.ok) return { status: response.status, headers: response.headers, text };

    if ((response.status === 401 || response.status === 403) && request.authErrors !== false) {
      throw authError(request, response.status);
    }

    const message = scrub(messageFromBody(text) ?? response.statusText ?? "");
    const transient = response.status === 429 || response.status >= 500;
    if (transient && request.idempotent && canRetry) {
      await backoff(request, options, policy, attempt, `HTTP ${response.status}`, response.headers);
      continue;
    }
    if (request.anyStatus) return { status: response.status, headers: response.headers, text };
    throw new FlashError(
      "RUNPOD_API",
      `RunPod ${request.operation} failed: HTTP ${response.status}${message ? `: ${message}` : ""}.`,
      transient
        ? {
            hint: "RunPod is busy or failing; try again in a moment (this call is not retried automatically).",
          }
        : undefined,
    );
  }
}

/** The FlashError for a rejected key: how to set it, never the key itself. */
export function authError(
  request: Pick<HttpRequest, "operation" | "url" | "apiKey">,
  status: number,
): FlashError {
  const toEmulator = !request.url.startsWith("https://api.runpod.");
  const what = request.apiKey ? "rejected the API key" : "requires an API key";
  return new FlashError(
    "RUNPOD_AUTH",
    `RunPod ${what} (HTTP ${status}) on ${request.operation} at ${describeUrl(request.url)}.`,
    { hint: credentialsHint(toEmulator) },
  );
}

/** How to provide a key; shared by the 401 error and the "no key found" error. */
export function credentialsHint(toEmulator: boolean): string {
  const base =
    "Set RUNPOD_API_KEY in the environment (export RUNPOD_API_KEY=...), or run `flash login` to store " +
    "it in ~/.runpod/config.toml. Create a key at https://console.runpod.io/user/settings.";
  return toEmulator
    ? `${base} The emulator at RUNPOD_API_URL accepts any non-empty key unless it was started with --api-key.`
    : base;
}

async function backoff(
  request: HttpRequest,
  options: HttpOptions,
  policy: RetryPolicy,
  attempt: number,
  reason: string,
  headers: Headers | undefined,
): Promise<void> {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  // Full jitter in the upper half: spread clients out without making the wait unpredictably short.
  let delayMs = Math.round(exp / 2 + Math.random() * (exp / 2));
  const retryAfter = Number(headers?.get("retry-after"));
  if (Number.isFinite(retryAfter) && retryAfter > 0) delayMs = Math.min(policy.maxDelayMs, retryAfter * 1000);
  options.onEvent?.({ type: "retry", operation: request.operation, attempt: attempt + 1, delayMs, reason });
  try {
    await sleep(delayMs, undefined, { signal: request.signal });
  } catch {
    throw aborted(request.operation);
  }
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

function aborted(operation: string): FlashError {
  return new FlashError("ABORTED", `RunPod ${operation} was aborted.`);
}

function networkHint(url: string): string {
  return url.startsWith("https://api.runpod.")
    ? "Check your network connection and https://uptime.runpod.io."
    : "Is the emulator running at RUNPOD_API_URL? Start it with `flash emulator`, or unset RUNPOD_API_URL to use RunPod.";
}

/** Host and path only: query strings may carry credentials (presigned upload URLs, `api_key=`). */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`;
  } catch {
    return "an invalid URL";
  }
}

/** Replaces every secret (and any `api_key=` / signature query value) with `[redacted]`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join("[redacted]");
  }
  return out.replace(
    /([?&](?:api_key|token|signature|x-amz-signature|x-amz-credential)=)[^&\s"']+/gi,
    "$1[redacted]",
  );
}

/** RunPod's message from an error body in any of its shapes (GraphQL, REST v1, REST v2, text). */
export function messageFromBody(text: string): string | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  // Object storage behind presigned upload URLs answers with S3-style XML errors.
  const xmlMessage = trimmed.startsWith("<") ? trimmed.match(/<Message>([^<]*)<\/Message>/)?.[1] : undefined;
  if (xmlMessage) return xmlMessage;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return trimmed.length > 300 ? `${trimmed.slice(0, 300)}…` : trimmed;
  }
  if (typeof parsed === "string") return parsed;
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const body = parsed as Record<string, unknown>;
  if (Array.isArray(body.errors)) {
    const messages = body.errors
      .map((e) => (typeof e === "object" && e !== null ? (e as Record<string, unknown>).message : undefined))
      .filter((m): m is string => typeof m === "string");
    if (messages.length > 0) return messages.join("; ");
  }
  for (const key of ["message", "detail", "error", "title"]) {
    if (typeof body[key] === "string") return body[key];
  }
  return undefined;
}

function errorCode(err: unknown): string | undefined {
  // undici wraps the socket error: TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } }).
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    if (typeof e === "object" && e !== null) {
      const code = (e as { code?: unknown }).code;
      if (typeof code === "string") return code;
      e = (e as { cause?: unknown }).cause;
    } else break;
  }
  return undefined;
}

function errorMessage(err: unknown): string {
  const cause = typeof err === "object" && err !== null ? (err as { cause?: unknown }).cause : undefined;
  const inner = cause instanceof Error ? cause.message : undefined;
  const outer = err instanceof Error ? err.message : String(err);
  return inner ? `${outer} (${inner})` : outer;
}
