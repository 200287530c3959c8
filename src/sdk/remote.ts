import { FlashError } from "../shared/errors.ts";
import { didYouMean } from "../shared/suggest.ts";
import { ResourceConfig } from "./config.ts";
import { HTTP_METHODS, type HttpMethod } from "./enums.ts";
import { assertJsonSafe } from "./json-safe.ts";

/** Options of `remote(config, options, fn)`. */
export interface RemoteOptions {
  /** npm specs the worker installs before running (native modules, anything left out of the bundle). */
  dependencies?: readonly string[];
  /** apt packages the worker installs before running. */
  systemDependencies?: readonly string[];
  /** HTTP method of a load-balanced route (any case). @default "POST" */
  method?: HttpMethod | Lowercase<HttpMethod>;
  /** Path of a load-balanced route, starting with `/`; `{param}` segments allowed. */
  path?: string;
}

/** Per-call options of a queue-based remote function. */
export interface CallOptions {
  /** Reject (and cancel the job) after this many milliseconds. */
  timeoutMs?: number;
  /** Aborting cancels the job and rejects the call. */
  signal?: AbortSignal;
}

/** What an LB handler receives besides its input. */
export interface RequestContext {
  method: string;
  path: string;
  params: Record<string, string>;
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[] | undefined>;
  /** The underlying request object of the server that received it. */
  raw?: unknown;
}

/** A queue-based remote function: calling it dispatches a job and resolves with its output. */
export type RemoteFunction<In, Out> = ((input: In, call?: CallOptions) => Promise<Awaited<Out>>) & {
  readonly [REMOTE]: RemoteMeta;
};

/** A load-balanced route handler: calling it runs the body in-process. */
export type LbHandler<F> = F & { readonly [REMOTE]: RemoteMeta };

/** Marks values made by `remote()`; `Symbol.for` so two copies of the SDK agree. */
export const REMOTE: unique symbol = Symbol.for("runpod-flash.remote") as never;

/** What `remote()` records about a function, read by the dev server, the worker and the stub. */
export interface RemoteMeta {
  kind: "qb" | "lb";
  config: ResourceConfig;
  /** The user's own function, unwrapped. */
  fn: (input: unknown, ctx?: unknown) => unknown;
  dependencies: string[];
  systemDependencies: string[];
  method?: HttpMethod;
  path?: string;
}

/** Sends a QB call somewhere (a worker, an endpoint). Installed by the dev server and worker runtime. */
export interface Dispatcher {
  call(meta: RemoteMeta, input: unknown, call: CallOptions | undefined): Promise<unknown>;
}

const DISPATCHER = Symbol.for("runpod-flash.dispatcher");
type GlobalWithDispatcher = typeof globalThis & { [DISPATCHER]?: Dispatcher };

/** Installs the dispatcher QB calls go through (process-wide, shared by every copy of the SDK). */
export function setDispatcher(dispatcher: Dispatcher | undefined): void {
  (globalThis as GlobalWithDispatcher)[DISPATCHER] = dispatcher;
}

/** The metadata of a value made by `remote()`, or undefined. */
export function getRemoteMeta(value: unknown): RemoteMeta | undefined {
  return typeof value === "function" ? (value as { [REMOTE]?: RemoteMeta })[REMOTE] : undefined;
}

/**
 * Turns a function into a Flash remote function.
 *
 * With a queue-based config (LiveServerless, CpuLiveServerless, ...) it returns an async function of
 * the same input and output that runs the body on a worker of that resource. With a load-balanced
 * config it returns the handler itself, marked as an HTTP route at `options.path`.
 *
 * @example
 * const gpu = new LiveServerless({ gpus: [GpuGroup.ANY] });
 * export const embed = remote(gpu, async (input: { text: string }) => ({ length: input.text.length }));
 */
export function remote<In, Out>(config: ResourceConfig, fn: (input: In) => Out): RemoteFunction<In, Out>;
export function remote<In, Out>(
  config: ResourceConfig,
  options: RemoteOptions,
  fn: (input: In, ctx: RequestContext) => Out,
): RemoteFunction<In, Out>;
export function remote(config: ResourceConfig, a: unknown, b?: unknown): unknown {
  const options = (typeof a === "function" ? {} : a) as RemoteOptions;
  const fn = (typeof a === "function" ? a : b) as RemoteMeta["fn"];
  if (!(config instanceof ResourceConfig)) {
    throw new FlashError("CONFIG_INVALID", "remote(): the first argument must be a resource config.", {
      hint: 'For example: remote(new LiveServerless({ name: "gpu_worker" }), async (input) => ...)',
    });
  }
  if (typeof fn !== "function") {
    throw new FlashError("CONFIG_INVALID", "remote(): the last argument must be the function to run.");
  }
  const meta = createMeta(config, options, fn);
  if (meta.kind === "lb") {
    Object.defineProperty(fn, REMOTE, { value: meta });
    return fn;
  }
  const stub = async (input: unknown, call?: CallOptions): Promise<unknown> => {
    const dispatcher = (globalThis as GlobalWithDispatcher)[DISPATCHER];
    if (dispatcher) return dispatcher.call(meta, input, call);
    // No dispatcher outside `flash run` and workers: run in-process, through JSON, so a script sees
    // the same values it would get back from a worker.
    assertJsonSafe(input, "the input");
    const output = await fn(JSON.parse(JSON.stringify(input ?? null)));
    assertJsonSafe(output, "the output");
    return output === undefined ? null : JSON.parse(JSON.stringify(output));
  };
  Object.defineProperty(stub, REMOTE, { value: meta });
  Object.defineProperty(stub, "name", { value: fn.name || "remote" });
  return stub;
}

function createMeta(config: ResourceConfig, options: RemoteOptions, fn: RemoteMeta["fn"]): RemoteMeta {
  if (typeof options !== "object" || options === null) {
    throw new FlashError("CONFIG_INVALID", "remote(): options must be an object.");
  }
  const allowed = ["dependencies", "systemDependencies", "method", "path"];
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new FlashError(
        "CONFIG_INVALID",
        `remote(): unknown option "${key}"${didYouMean(key, allowed)}; allowed: ${allowed.join(", ")}.`,
      );
    }
  }
  const meta: RemoteMeta = {
    kind: config.isLoadBalanced ? "lb" : "qb",
    config,
    fn,
    dependencies: stringList("dependencies", options.dependencies),
    systemDependencies: stringList("systemDependencies", options.systemDependencies),
  };
  if (meta.kind === "lb") {
    meta.method = checkMethod(options.method ?? "POST");
    if (options.path === undefined) {
      throw new FlashError(
        "CONFIG_INVALID",
        `remote(): a load-balanced route needs a path, e.g. { path: "/compute" }.`,
      );
    }
    meta.path = checkRoutePath(options.path);
  }
  return meta;
}

function stringList(field: string, value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v.trim() === "")) {
    throw new FlashError("CONFIG_INVALID", `remote(): ${field} must be an array of non-empty strings.`);
  }
  return [...value];
}

/** Upper-cases and checks an LB route's HTTP method. */
export function checkMethod(method: unknown): HttpMethod {
  const upper = typeof method === "string" ? method.toUpperCase() : method;
  if (!(HTTP_METHODS as readonly unknown[]).includes(upper)) {
    throw new FlashError(
      "CONFIG_INVALID",
      `invalid method ${JSON.stringify(method)}; expected one of ${HTTP_METHODS.join(", ")}.`,
    );
  }
  return upper as HttpMethod;
}

/** Checks an LB route path: starts with `/`, plain segments or `{param}` segments. */
export function checkRoutePath(path: unknown): string {
  if (
    typeof path !== "string" ||
    !/^\/([A-Za-z0-9._~-]+|\{[A-Za-z_][A-Za-z0-9_]*\})?(\/([A-Za-z0-9._~-]+|\{[A-Za-z_][A-Za-z0-9_]*\}))*$/.test(
      path,
    )
  ) {
    throw new FlashError(
      "CONFIG_INVALID",
      `invalid path ${JSON.stringify(path)}; expected a path starting with "/", made of plain segments and {param} segments (e.g. "/items/{id}").`,
    );
  }
  return path;
}
