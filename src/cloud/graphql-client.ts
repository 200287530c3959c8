import { setTimeout as sleep } from "node:timers/promises";
import type { z } from "zod";
import { FlashError } from "../shared/errors.ts";
import { GraphqlResponseSchema } from "../shared/schemas/control-plane.ts";
import {
  credentialsHint,
  type HttpOptions,
  messageFromBody,
  redact,
  runpodUrls,
  sendRequest,
} from "./http.ts";

/**
 * A typed GraphQL client for RunPod's control plane. Each operation is declared once as a
 * {@link GraphqlOperation} (document, name, response schema, whether repeating it is safe); the client
 * sends it, turns RunPod's `errors` into a FlashError naming the operation, and validates `data` with
 * zod so callers only ever see typed values.
 */

/** One GraphQL operation: its document and what its `data` must look like. */
export interface GraphqlOperation<TData> {
  /** The operation name, used in errors (`RunPod saveEndpoint failed: ...`). */
  name: string;
  query: string;
  /** Schema of the response's `data` object. */
  data: z.ZodType<TData>;
  /**
   * Queries always are; a mutation is only when repeating it leaves the same state (a full-replace
   * update, setting the active build). Only idempotent operations are retried.
   */
  idempotent: boolean;
}

/** Declares a query (always idempotent). */
export function query<TData>(
  name: string,
  document: string,
  data: z.ZodType<TData>,
): GraphqlOperation<TData> {
  return { name, query: document, data, idempotent: true };
}

/** Declares a mutation; `idempotent` only when sending it twice is harmless. */
export function mutation<TData>(
  name: string,
  document: string,
  data: z.ZodType<TData>,
  options: { idempotent?: boolean } = {},
): GraphqlOperation<TData> {
  return { name, query: document, data, idempotent: options.idempotent ?? false };
}

export interface GraphqlClientOptions extends HttpOptions {
  apiKey: string;
  /** Defaults to the URL resolved from `RUNPOD_API_URL` (emulator) or real RunPod. */
  url?: string;
}

/** Messages RunPod puts in a 200 response for failures worth retrying (as Python Flash matches them). */
const TRANSIENT_MESSAGES = [
  "try again later",
  "internal server error",
  "service unavailable",
  "too many requests",
  "temporarily unavailable",
];

/** A connection to RunPod's GraphQL endpoint with one API key. */
export class GraphqlClient {
  readonly url: string;
  readonly #apiKey: string;
  readonly #http: HttpOptions;

  constructor(options: GraphqlClientOptions) {
    const { apiKey, url, ...http } = options;
    this.url = url ?? runpodUrls().graphql;
    this.#apiKey = apiKey;
    this.#http = http;
  }

  /** True when talking to the emulator rather than RunPod. */
  get isEmulator(): boolean {
    return !this.url.startsWith("https://api.runpod.io/");
  }

  /**
   * Sends `operation` and returns its validated `data`.
   * @throws FlashError RUNPOD_AUTH (bad key), RUNPOD_API (HTTP or GraphQL error, message names the
   * operation and carries RunPod's), INVALID_DATA (the response does not match the schema).
   */
  async request<TData>(
    operation: GraphqlOperation<TData>,
    variables: Record<string, unknown> = {},
    options: { signal?: AbortSignal } = {},
  ): Promise<TData> {
    const policy = this.#http.retry;
    const maxTransientRetries = operation.idempotent ? (policy?.retries ?? 4) : 0;
    for (let attempt = 0; ; attempt++) {
      const response = await sendRequest(
        {
          operation: operation.name,
          url: this.url,
          method: "POST",
          apiKey: this.#apiKey,
          headers: { "content-type": "application/json", accept: "application/json" },
          body: JSON.stringify({ query: operation.query, variables }),
          idempotent: operation.idempotent,
          signal: options.signal,
        },
        this.#http,
      );
      const envelope = parseEnvelope(operation.name, response.text, [this.#apiKey]);
      if (envelope.errors && envelope.errors.length > 0) {
        const message = redact(envelope.errors.map((e) => e.message).join("; "), [this.#apiKey]);
        if (isAuthMessage(message)) {
          throw new FlashError(
            "RUNPOD_AUTH",
            `RunPod rejected the API key on ${operation.name}: ${message}`,
            {
              hint: credentialsHint(this.isEmulator),
            },
          );
        }
        const transient = TRANSIENT_MESSAGES.some((m) => message.toLowerCase().includes(m));
        if (transient && attempt < maxTransientRetries) {
          const delayMs = Math.min(policy?.maxDelayMs ?? 8000, (policy?.baseDelayMs ?? 500) * 2 ** attempt);
          this.#http.onEvent?.({
            type: "retry",
            operation: operation.name,
            attempt: attempt + 1,
            delayMs,
            reason: message,
          });
          try {
            await sleep(delayMs, undefined, { signal: options.signal });
          } catch {
            throw new FlashError("ABORTED", `RunPod ${operation.name} was aborted.`);
          }
          continue;
        }
        throw new GraphqlRequestError(operation.name, message, envelope.errors);
      }
      const parsed = operation.data.safeParse(envelope.data ?? {});
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new FlashError(
          "INVALID_DATA",
          `RunPod ${operation.name} returned an unexpected response` +
            (issue ? ` at ${issue.path.join(".") || "data"}: ${redact(issue.message, [this.#apiKey])}` : "") +
            ".",
        );
      }
      return parsed.data;
    }
  }
}

/** A GraphQL-level failure: RunPod answered with `errors`. `messages` are RunPod's, key-scrubbed. */
export class GraphqlRequestError extends FlashError {
  readonly operation: string;
  readonly messages: string[];
  readonly paths: (readonly (string | number)[] | undefined)[];

  constructor(operation: string, message: string, errors: { message: string; path?: (string | number)[] }[]) {
    super("RUNPOD_API", `RunPod ${operation} failed: ${message}`);
    this.operation = operation;
    this.messages = message.split("; ");
    this.paths = errors.map((e) => e.path);
  }

  /** True when RunPod says the thing looked up does not exist. */
  get isNotFound(): boolean {
    return this.messages.some((m) => /not found|does not exist/i.test(m));
  }
}

function parseEnvelope(
  operation: string,
  text: string,
  secrets: string[],
): z.infer<typeof GraphqlResponseSchema> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const snippet = redact(messageFromBody(text) ?? "", secrets);
    throw new FlashError(
      "INVALID_DATA",
      `RunPod ${operation} returned a body that is not JSON${snippet ? `: ${snippet.slice(0, 120)}` : ""}.`,
    );
  }
  const parsed = GraphqlResponseSchema.safeParse(json);
  if (!parsed.success) {
    throw new FlashError(
      "INVALID_DATA",
      `RunPod ${operation} returned a body that is not a GraphQL response.`,
    );
  }
  return parsed.data;
}

function isAuthMessage(message: string): boolean {
  return /unauthori[sz]ed|invalid api key|api key is (?:missing|invalid)/i.test(message);
}
