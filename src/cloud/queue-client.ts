import type { z } from "zod";
import { FlashError } from "../shared/errors.ts";
import type { QueueTransport } from "../shared/queue-transport.ts";
import {
  HealthResponse,
  type JobRequest,
  JobResponse,
  PurgeResponse,
  RUN_PAYLOAD_LIMIT,
  RUNSYNC_PAYLOAD_LIMIT,
  RUNSYNC_WAIT,
  StreamResponse,
} from "../shared/schemas/job.ts";
import { EMULATOR_PLACEHOLDER_KEY } from "./control-plane.ts";
import { type CredentialOptions, requireApiKey, resolveApiKey } from "./credentials.ts";
import { authError, type HttpOptions, messageFromBody, redact, runpodUrls, sendRequest } from "./http.ts";

/**
 * A typed client of RunPod's queue API (`/v2/{endpointId}/...`): the SDK stub, the CLI and the tests
 * use it against RunPod (`https://api.runpod.ai/v2`) or the emulator (`<RUNPOD_API_URL>/v2`).
 * Answers are validated with the shared wire schemas. Calls that are safe to repeat (status, health,
 * cancel) are retried on 429, 5xx and network errors; submissions are not (a retried /run would queue
 * the job twice). Errors name the operation and RunPod's message, never the API key.
 */

export interface QueueClientOptions {
  /** API key sent as `Authorization: Bearer`. Default: `RUNPOD_API_KEY`. */
  apiKey?: string;
  /** Queue base URL. Default: `<RUNPOD_API_URL>/v2`, else `https://api.runpod.ai/v2`. */
  baseUrl?: string;
  /** Environment to read `RUNPOD_API_URL`/`RUNPOD_API_KEY` from. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Retry policy, fetch, per-attempt timeout, events. */
  http?: HttpOptions;
  /**
   * Carries the requests instead of HTTP: the queue API of an emulator running in this process
   * (`Emulator.localQueue`, for `flash run --local`). Everything above the transport is the same:
   * payload limits, encoding, validation of the answers, errors. With nothing in between that can
   * fail or hang, there are no retries and no per-request timeout.
   */
  transport?: QueueTransport;
}

export type { QueueTransport, QueueTransportRequest } from "../shared/queue-transport.ts";

export interface CallSignal {
  signal?: AbortSignal;
}

/** The JSON body of a submission, refused before sending when it is over RunPod's limit for `route`. */
export function encodeSubmission(request: JobRequest, limit: number, route: string): string {
  let body: string;
  try {
    body = JSON.stringify(request);
  } catch (err) {
    throw new FlashError("SERIALIZATION", `the input cannot be sent as JSON: ${(err as Error).message}`);
  }
  checkPayloadSize(body, limit, route);
  return body;
}

/** Refuses a request body over RunPod's limit before sending it. */
export function checkPayloadSize(body: string, limit: number, route: string): void {
  const size = Buffer.byteLength(body);
  if (size > limit) {
    throw new FlashError(
      "PAYLOAD_TOO_LARGE",
      `the request to ${route} is ${(size / 1024 / 1024).toFixed(1)} MB; RunPod's limit for ${route} is ${limit / 1024 / 1024} MB.`,
      { hint: "Pass large data by reference (a URL, a network volume path) instead of inline." },
    );
  }
}

/** Operations a client may repeat without changing the outcome (RunPod's clients retry them too). */
const REPEATABLE = new Set(["status", "status-sync", "stream", "cancel", "health"]);

export class QueueClient {
  readonly baseUrl: string;
  readonly #apiKey: string | undefined;
  readonly #http: HttpOptions;
  readonly #transport: QueueTransport | undefined;

  constructor(options: QueueClientOptions = {}) {
    const env = options.env ?? process.env;
    const urls = runpodUrls(env);
    this.baseUrl = (options.baseUrl ?? urls.queue).replace(/\/+$/, "");
    this.#apiKey =
      options.apiKey ||
      env.RUNPOD_API_KEY?.trim() ||
      (urls.emulatorOrigin !== undefined ? EMULATOR_PLACEHOLDER_KEY : undefined);
    this.#http = options.http ?? {};
    this.#transport = options.transport;
  }

  /** `POST /run`: queues a job; resolves with `{id, status: "IN_QUEUE"}`. Not retried. */
  run(endpointId: string, request: JobRequest, options: CallSignal = {}): Promise<JobResponse> {
    const body = encodeSubmission(request, RUN_PAYLOAD_LIMIT, "/run");
    return this.#send("run", endpointId, "/run", "POST", JobResponse, {
      body,
      signal: options.signal,
      idempotent: false,
    });
  }

  /**
   * `POST /runsync?wait=`: queues a job and waits up to `waitMs` (1 s to 5 min, default 90 s) for it.
   * The answer may still be IN_QUEUE or IN_PROGRESS; poll {@link status} then. Not retried.
   */
  runsync(
    endpointId: string,
    request: JobRequest,
    options: CallSignal & { waitMs?: number } = {},
  ): Promise<JobResponse> {
    const body = encodeSubmission(request, RUNSYNC_PAYLOAD_LIMIT, "/runsync");
    const wait = Math.min(
      RUNSYNC_WAIT.max,
      Math.max(RUNSYNC_WAIT.min, Math.round(options.waitMs ?? RUNSYNC_WAIT.default)),
    );
    return this.#send("runsync", endpointId, `/runsync?wait=${wait}`, "POST", JobResponse, {
      body,
      signal: options.signal,
      idempotent: false,
      timeoutMs: wait + 30_000,
    });
  }

  /** `GET /status/{id}`. Retried. */
  status(endpointId: string, jobId: string, options: CallSignal = {}): Promise<JobResponse> {
    return this.#send("status", endpointId, `/status/${encodeURIComponent(jobId)}`, "GET", JobResponse, {
      signal: options.signal,
      idempotent: true,
    });
  }

  /** `GET /status-sync/{id}?wait=`: waits up to `waitMs` for the job to end. Retried. */
  statusSync(
    endpointId: string,
    jobId: string,
    options: CallSignal & { waitMs?: number } = {},
  ): Promise<JobResponse> {
    const wait = Math.max(0, Math.round(options.waitMs ?? 90_000));
    return this.#send(
      "status-sync",
      endpointId,
      `/status-sync/${encodeURIComponent(jobId)}?wait=${wait}`,
      "GET",
      JobResponse,
      {
        signal: options.signal,
        idempotent: true,
        timeoutMs: wait + 30_000,
      },
    );
  }

  /** `GET /stream/{id}`: partial outputs not delivered before. Retried. */
  stream(endpointId: string, jobId: string, options: CallSignal = {}): Promise<StreamResponse> {
    return this.#send("stream", endpointId, `/stream/${encodeURIComponent(jobId)}`, "GET", StreamResponse, {
      signal: options.signal,
      idempotent: true,
    });
  }

  /** `POST /cancel/{id}`. Retried (cancelling twice is harmless). */
  cancel(endpointId: string, jobId: string, options: CallSignal = {}): Promise<JobResponse> {
    return this.#send("cancel", endpointId, `/cancel/${encodeURIComponent(jobId)}`, "POST", JobResponse, {
      signal: options.signal,
      idempotent: true,
    });
  }

  /** `POST /retry/{id}`: requeues a FAILED or TIMED_OUT job. Not retried. */
  retry(endpointId: string, jobId: string, options: CallSignal = {}): Promise<JobResponse> {
    return this.#send("retry", endpointId, `/retry/${encodeURIComponent(jobId)}`, "POST", JobResponse, {
      signal: options.signal,
      idempotent: false,
    });
  }

  /** `GET /health`: job and worker counters. Retried. */
  health(endpointId: string, options: CallSignal = {}): Promise<HealthResponse> {
    return this.#send("health", endpointId, "/health", "GET", HealthResponse, {
      signal: options.signal,
      idempotent: true,
    });
  }

  /** `POST /purge-queue`: drops every queued job. Not retried. */
  purgeQueue(endpointId: string, options: CallSignal = {}): Promise<PurgeResponse> {
    return this.#send("purge-queue", endpointId, "/purge-queue", "POST", PurgeResponse, {
      signal: options.signal,
      idempotent: false,
    });
  }

  /**
   * Sends one queue API request as it is and resolves with the endpoint's status and JSON text,
   * 4xx and 5xx included: what the dev server's QB prefixes pass on to RunPod's clients. Only
   * reads (GET, and the operations safe to repeat) are retried. An unreachable endpoint or a
   * refused key rejects, naming the operation.
   */
  async forward(
    endpointId: string,
    request: { method: "GET" | "POST"; path: string; body?: string; signal?: AbortSignal },
  ): Promise<{ status: number; text: string }> {
    const { method, path, body, signal } = request;
    const op = path.split(/[/?]/)[1] ?? path;
    if (this.#transport) {
      if (signal?.aborted) throw new FlashError("ABORTED", `RunPod queue ${op} was aborted.`);
      return this.#transport({ method, endpointId, path, apiKey: this.#apiKey, body, signal });
    }
    const answer = await sendRequest(
      {
        operation: `queue ${op} (endpoint ${endpointId})`,
        url: `${this.baseUrl}/${encodeURIComponent(endpointId)}${path}`,
        method,
        apiKey: this.#apiKey,
        headers: body === undefined ? undefined : { "content-type": "application/json" },
        body,
        idempotent: method === "GET" || REPEATABLE.has(op),
        signal,
        anyStatus: true,
      },
      // A runsync or status-sync holds the request up to its wait (at most 300 s).
      { ...this.#http, timeoutMs: Math.max(this.#http.timeoutMs ?? 0, 310_000) },
    );
    return { status: answer.status, text: answer.text };
  }

  async #send<S extends z.ZodType>(
    op: string,
    endpointId: string,
    path: string,
    method: "GET" | "POST",
    schema: S,
    o: { body?: string; signal?: AbortSignal; idempotent: boolean; timeoutMs?: number },
  ): Promise<z.infer<S>> {
    const operation = `queue ${op} (endpoint ${endpointId})`;
    const body = o.body ?? (method === "POST" ? "{}" : undefined);
    const text = this.#transport
      ? await this.#sendVia(this.#transport, operation, endpointId, path, method, body, o.signal)
      : (
          await sendRequest(
            {
              operation,
              url: `${this.baseUrl}/${encodeURIComponent(endpointId)}${path}`,
              method,
              apiKey: this.#apiKey,
              // Every body is JSON ("{}" when the route takes none), and says so.
              headers: body === undefined ? undefined : { "content-type": "application/json" },
              body,
              idempotent: o.idempotent,
              signal: o.signal,
            },
            o.timeoutMs === undefined
              ? this.#http
              : { ...this.#http, timeoutMs: Math.max(o.timeoutMs, this.#http.timeoutMs ?? 0) },
          )
        ).text;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new FlashError("INVALID_DATA", `RunPod ${operation} answered something that is not JSON.`);
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new FlashError(
        "INVALID_DATA",
        `RunPod ${operation} answered an unexpected shape: ${issue?.path.join(".") || "(root)"}: ${issue?.message}.`,
      );
    }
    return parsed.data;
  }

  /** One request over the transport; a non-2xx answer fails as `sendRequest` fails it. */
  async #sendVia(
    transport: QueueTransport,
    operation: string,
    endpointId: string,
    path: string,
    method: "GET" | "POST",
    body: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    const aborted = () => new FlashError("ABORTED", `RunPod ${operation} was aborted.`);
    if (signal?.aborted) throw aborted();
    let reply: { status: number; text: string };
    try {
      reply = await transport({ method, endpointId, path, apiKey: this.#apiKey, body, signal });
    } catch (err) {
      if (signal?.aborted) throw aborted();
      throw err;
    }
    if (reply.status >= 200 && reply.status < 300) return reply.text;
    const url = `${this.baseUrl}/${encodeURIComponent(endpointId)}${path}`;
    if (reply.status === 401 || reply.status === 403) {
      throw authError({ operation, url, apiKey: this.#apiKey }, reply.status);
    }
    const secrets = [this.#apiKey, url].filter((s): s is string => typeof s === "string" && s.length > 0);
    const message = redact(messageFromBody(reply.text) ?? "", secrets);
    const transient = reply.status === 429 || reply.status >= 500;
    throw new FlashError(
      "RUNPOD_API",
      `RunPod ${operation} failed: HTTP ${reply.status}${message ? `: ${message}` : ""}.`,
      transient
        ? {
            hint: "RunPod is busy or failing; try again in a moment (this call is not retried automatically).",
          }
        : undefined,
    );
  }
}

/**
 * A {@link QueueClient} with the key resolved like the control plane's: the `apiKey` option,
 * `RUNPOD_API_KEY`, then `~/.runpod/config.toml`; against the emulator with none configured, a
 * placeholder (it accepts any non-empty key unless started with `--api-key`).
 * @throws FlashError RUNPOD_AUTH when targeting RunPod with no key configured.
 */
export async function connectQueueClient(
  options: QueueClientOptions & CredentialOptions = {},
): Promise<QueueClient> {
  if (options.apiKey) return new QueueClient(options);
  const env = options.env ?? process.env;
  const toEmulator = runpodUrls(env).emulatorOrigin !== undefined;
  const resolved = toEmulator ? await resolveApiKey(options) : await requireApiKey(options);
  return new QueueClient({ ...options, apiKey: resolved?.apiKey ?? EMULATOR_PLACEHOLDER_KEY });
}
