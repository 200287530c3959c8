import type { FlashEnvelope } from "../shared/schemas/flash-job.ts";

/**
 * Validation of what the worker reads from the wire and from the artifact. These mirror the zod
 * schemas in src/shared/schemas (same shapes, same messages) but are written by hand: importing zod
 * costs about 80 ms on a small machine, a third of the worker's cold-start budget.
 */

export class WireError extends Error {
  override name = "WireError";
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** A job from job-take: `{id, input, ...}`. */
export interface Job {
  id: string;
  input: unknown;
}

export function parseTakenJob(value: unknown): Job {
  if (!isObject(value) || typeof value.id !== "string" || value.id === "" || !("input" in value)) {
    throw new WireError("job-take answered something that is not a job ({id, input})");
  }
  return { id: value.id, input: value.input };
}

/** The live envelope, with defaults applied. */
export type Envelope = Required<FlashEnvelope>;

/** Reads `input.__flash__` when present (a live job); undefined for a deployed job. */
export function parseEnvelope(input: unknown): { envelope: Envelope; input: unknown } | undefined {
  if (!isObject(input) || !("__flash__" in input)) return undefined;
  const e = input.__flash__;
  const bad = (what: string) => new WireError(`invalid __flash__ envelope: ${what}`);
  if (!isObject(e)) throw bad("not an object");
  if (e.v !== 1) throw bad(`unsupported version ${JSON.stringify(e.v)} (this worker speaks v1)`);
  if (typeof e.function !== "string" || e.function === "") throw bad("function must be a non-empty string");
  if (typeof e.file !== "string") throw bad("file must be a string");
  const b = e.bundle;
  if (!isObject(b) || typeof b.code !== "string") throw bad("bundle.code must be a string");
  if (typeof b.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(b.sha256)) {
    throw bad("bundle.sha256 must be 64 lower-case hex digits");
  }
  const list = (v: unknown, name: string): string[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((s) => typeof s !== "string"))
      throw bad(`${name} must be a list of strings`);
    return v as string[];
  };
  return {
    envelope: {
      v: 1,
      function: e.function,
      file: e.file,
      bundle: { sha256: b.sha256, code: b.code },
      dependencies: list(e.dependencies, "dependencies"),
      systemDependencies: list(e.systemDependencies, "systemDependencies"),
    },
    input: input.input === undefined ? null : input.input,
  };
}

/** One function of a manifest resource: a name (QB) or a route (LB). */
export interface ManifestFunction {
  name: string;
  method?: string;
  path?: string;
}

export interface ManifestResource {
  name: string;
  isLoadBalanced: boolean;
  functions: ManifestFunction[];
  dependencies: string[];
}

/** Reads one resource of `.flash/manifest.json` (the fields the worker needs). */
export function parseManifestResource(manifest: unknown, name: string): ManifestResource {
  if (!isObject(manifest) || !isObject(manifest.resources)) {
    throw new WireError("manifest.json has no resources object");
  }
  const r = manifest.resources[name];
  if (!isObject(r)) {
    const known = Object.keys(manifest.resources).join(", ") || "none";
    throw new WireError(`manifest.json has no resource "${name}" (resources: ${known})`);
  }
  if (!Array.isArray(r.functions))
    throw new WireError(`manifest resource "${name}": functions must be a list`);
  const functions = r.functions.map((f, i): ManifestFunction => {
    if (typeof f === "string") return { name: f };
    if (isObject(f) && typeof f.name === "string") {
      return {
        name: f.name,
        method: typeof f.http_method === "string" ? f.http_method.toUpperCase() : undefined,
        path: typeof f.http_path === "string" ? f.http_path : undefined,
      };
    }
    throw new WireError(
      `manifest resource "${name}": functions[${i}] is neither a name nor {name, http_method, http_path}`,
    );
  });
  const listed = Array.isArray(r.dependencies)
    ? r.dependencies
    : isObject(r.config)
      ? r.config.dependencies
      : [];
  const deps = Array.isArray(listed) ? listed.filter((d) => typeof d === "string") : [];
  return { name, isLoadBalanced: r.is_load_balanced === true, functions, dependencies: deps as string[] };
}

/**
 * The job input for calling `fn` on a deployed endpoint (SPEC section 5): the input itself when the
 * resource has one function, `{function, input}` when it has several ({@link parseDeployedSelector}
 * reads it back).
 */
export function deployedJobInput(fn: string, functionCount: number, input: unknown): unknown {
  return functionCount === 1 ? (input ?? null) : { function: fn, input: input ?? null };
}

/** A deployed job's input for a resource with several functions: `{function, input}`. */
export function parseDeployedSelector(input: unknown, known: string[]): { fn: string; input: unknown } {
  if (!isObject(input) || typeof input.function !== "string") {
    throw new WireError(
      `this endpoint serves several functions (${known.join(", ")}); send {"input": {"function": "<name>", "input": ...}}`,
    );
  }
  return { fn: input.function, input: input.input === undefined ? null : input.input };
}
