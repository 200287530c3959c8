/**
 * Finding and calling the user's function in an imported bundle. An export made by `remote()` carries
 * its original function in the `Symbol.for("runpod-flash.remote")` metadata (`.fn`); the worker calls
 * that, never the stub (the stub would dispatch the job again). A plain exported function is called as
 * it is. `Symbol.for` is used rather than importing the SDK so that any copy of the SDK the bundle
 * inlined is recognised.
 */
const REMOTE = Symbol.for("runpod-flash.remote");

export type UserFunction = (input: unknown, ctx?: unknown) => unknown;

export function resolveExport(mod: Record<string, unknown>, name: string, where: string): UserFunction {
  if (!(name in mod)) {
    const names = Object.keys(mod).filter((k) => typeof mod[k] === "function");
    throw new Error(
      `${where} has no export named "${name}" (function exports: ${names.join(", ") || "none"})`,
    );
  }
  const value = mod[name];
  const meta = typeof value === "function" ? (value as { [REMOTE]?: { fn?: unknown } })[REMOTE] : undefined;
  if (meta && typeof meta.fn === "function") return meta.fn as UserFunction;
  if (typeof value === "function") return value as UserFunction;
  throw new Error(
    `${where}: export "${name}" is not a function (it is ${value === null ? "null" : typeof value})`,
  );
}

/** The error fields RunPod's Python worker reports, filled from anything thrown. */
export interface ErrorInfo {
  error_type: string;
  error_message: string;
  error_traceback?: string;
}

export function describeError(err: unknown): ErrorInfo {
  if (err instanceof Error) {
    return { error_type: err.name || "Error", error_message: err.message, error_traceback: err.stack };
  }
  let message: string;
  try {
    message = typeof err === "string" ? err : JSON.stringify(err);
  } catch {
    message = String(err);
  }
  return { error_type: "NonErrorThrown", error_message: `the function threw a non-Error value: ${message}` };
}

/** JSON text of a function's return value: `undefined` becomes `null`; anything JSON cannot carry throws. */
export function outputJson(value: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value === undefined ? null : value);
  } catch (err) {
    throw new TypeError(`the function's return value cannot be sent as JSON: ${(err as Error).message}`);
  }
  if (json === undefined) {
    throw new TypeError(`the function returned a ${typeof value}, which cannot be sent as JSON`);
  }
  return json;
}
