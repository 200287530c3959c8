/**
 * oxc, loaded on first need: most scans never use it (the quick parser reads the usual shapes),
 * and loading it costs a noticeable part of a cold `flash routes`.
 */
type Oxc = typeof import("oxc-parser");
type Bindings = typeof import("oxc-parser/src-js/bindings");

let loaded: Oxc | undefined;
let bindings: Bindings | undefined;

/** Parser options for every oxc parse: ESTree with TypeScript fields (import/export kinds), no parenthesis nodes. */
export const PARSE_OPTIONS = { astType: "ts", preserveParens: false } as const;

/** Loads oxc (once). */
export async function loadOxc(): Promise<Oxc> {
  loaded ??= await import("oxc-parser");
  return loaded;
}

/**
 * oxc's verdict on the syntax of `text`: its first error, or undefined. Runs on oxc's thread and
 * reads only the errors: the AST oxc also builds is never handed over to JavaScript, which is
 * most of what a parse costs this thread. (The binding is a public subpath of the package; its
 * wrapper would copy the AST's JSON out eagerly.)
 */
export async function syntaxErrorOf(
  name: string,
  text: string,
): Promise<{ message: string; at: number } | undefined> {
  bindings ??= await import("oxc-parser/src-js/bindings");
  const result = await bindings.parse(name, text, CHECK_OPTIONS);
  const first = result.errors[0];
  return first && { message: first.message, at: first.labels[0]?.start ?? 0 };
}

const CHECK_OPTIONS = { astType: "js", preserveParens: false } as const;

/** Thrown by {@link oxcSync} before {@link loadOxc} has finished; the scan loads it and retries. */
export class OxcNotLoaded extends Error {
  constructor() {
    super("oxc-parser is not loaded yet");
  }
}

/** oxc for synchronous callers; throws {@link OxcNotLoaded} when it has not been loaded. */
export function oxcSync(): Oxc {
  if (loaded === undefined) throw new OxcNotLoaded();
  return loaded;
}
