import { FlashError } from "../shared/errors.ts";

/**
 * Checks that a value survives `JSON.stringify`/`JSON.parse` unchanged in meaning, naming the path of
 * the first value that would not (functions, symbols, BigInt, cycles, non-finite numbers).
 * @param what names the value in the message, e.g. `input of process()`
 * @throws FlashError SERIALIZATION
 */
export function assertJsonSafe(value: unknown, what: string): void {
  const seen = new Set<object>();
  const visit = (v: unknown, path: string): void => {
    switch (typeof v) {
      case "function":
      case "symbol":
      case "bigint":
        throw fail(what, path, `a ${typeof v}`);
      case "number":
        if (!Number.isFinite(v)) throw fail(what, path, String(v));
        return;
      case "object": {
        if (v === null) return;
        if (seen.has(v)) throw fail(what, path, "a circular reference");
        if (typeof (v as { toJSON?: unknown }).toJSON === "function") return;
        seen.add(v);
        if (Array.isArray(v)) {
          for (let i = 0; i < v.length; i++) visit(v[i], `${path}[${i}]`);
        } else if (v instanceof Map || v instanceof Set) throw fail(what, path, `a ${v.constructor.name}`);
        else for (const [k, item] of Object.entries(v)) if (item !== undefined) visit(item, `${path}.${k}`);
        seen.delete(v);
        return;
      }
      default:
        return;
    }
  };
  visit(value, "$");
}

function fail(what: string, path: string, found: string): FlashError {
  return new FlashError("SERIALIZATION", `${what} cannot be sent as JSON: ${path} is ${found}.`, {
    hint: "Remote functions take and return JSON values (objects, arrays, strings, numbers, booleans, null).",
  });
}
