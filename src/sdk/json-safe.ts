import { FlashError } from "../shared/errors.ts";

/** A value met on the walk, and where: its parent and key rebuild the path only for the message. */
interface Visit {
  v: unknown;
  parent: Visit | undefined;
  key: string | number | undefined;
}

/**
 * Checks that a value survives `JSON.stringify`/`JSON.parse` unchanged in meaning, naming the path of
 * the first value that would not (functions, symbols, BigInt, cycles, non-finite numbers). Walks
 * with an explicit stack, so a value of any depth is checked without overflowing the call stack.
 * @param what names the value in the message, e.g. `input of process()`
 * @throws FlashError SERIALIZATION
 */
export function assertJsonSafe(value: unknown, what: string): void {
  // The objects on the path to the one being walked: meeting one again is a cycle (a value shared
  // by two branches is not).
  const ancestors = new Set<object>();
  // A Visit is walked; an object pushed alone is an exit marker, popped after its children.
  const stack: (Visit | { exit: object })[] = [{ v: value, parent: undefined, key: undefined }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if ("exit" in item) {
      ancestors.delete(item.exit);
      continue;
    }
    const v = item.v;
    switch (typeof v) {
      case "function":
      case "symbol":
      case "bigint":
        throw fail(what, item, `a ${typeof v}`);
      case "number":
        if (!Number.isFinite(v)) throw fail(what, item, String(v));
        continue;
      case "object": {
        if (v === null) continue;
        if (ancestors.has(v)) throw fail(what, item, "a circular reference");
        if (typeof (v as { toJSON?: unknown }).toJSON === "function") continue;
        if (v instanceof Map || v instanceof Set) throw fail(what, item, `a ${v.constructor.name}`);
        ancestors.add(v);
        stack.push({ exit: v });
        // Children pushed last-first, so they are walked in order and the first bad one is named.
        if (Array.isArray(v)) {
          for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], parent: item, key: i });
        } else {
          const entries = Object.entries(v);
          for (let i = entries.length - 1; i >= 0; i--) {
            const [k, child] = entries[i]!;
            if (child !== undefined) stack.push({ v: child, parent: item, key: k });
          }
        }
        continue;
      }
      default:
        continue;
    }
  }
}

function pathOf(at: Visit): string {
  const keys: (string | number)[] = [];
  for (let v: Visit | undefined = at; v?.key !== undefined; v = v.parent) keys.push(v.key);
  let path = "$";
  for (let i = keys.length - 1; i >= 0; i--) {
    const k = keys[i]!;
    path += typeof k === "number" ? `[${k}]` : `.${k}`;
  }
  return path;
}

function fail(what: string, at: Visit, found: string): FlashError {
  return new FlashError("SERIALIZATION", `${what} cannot be sent as JSON: ${pathOf(at)} is ${found}.`, {
    hint: "Remote functions take and return JSON values (objects, arrays, strings, numbers, booleans, null).",
  });
}
