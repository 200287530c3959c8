import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/** `compilerOptions.paths` of the project's tsconfig.json, with targets made relative to the root. */
export type PathAliases = readonly { prefix: string; suffix: string; wildcard: boolean; targets: string[] }[];

/** How many `extends` are followed before giving up (a loop, or a chain no project has). */
const MAX_EXTENDS = 8;

/**
 * The path aliases of the tsconfig.json at `root` (following relative `extends`), as TypeScript
 * reads them: targets relative to `baseUrl`, else to the tsconfig that declares `paths`. Empty when
 * there is no tsconfig, no `paths`, or the file cannot be read; a broken tsconfig is TypeScript's
 * to report, not the scanner's.
 */
export function readPathAliases(root: string): PathAliases {
  let file = join(root, "tsconfig.json");
  let paths: Record<string, unknown> | undefined;
  let pathsBase: string | undefined;
  let baseUrl: string | undefined;
  for (let i = 0; i < MAX_EXTENDS; i++) {
    const config = readJsonc(file) as
      | { extends?: unknown; compilerOptions?: Record<string, unknown> }
      | undefined;
    if (!config) break;
    const options = config.compilerOptions ?? {};
    if (baseUrl === undefined && typeof options.baseUrl === "string")
      baseUrl = resolve(dirname(file), options.baseUrl);
    if (paths === undefined && typeof options.paths === "object" && options.paths !== null) {
      paths = options.paths as Record<string, unknown>;
      pathsBase = dirname(file);
    }
    if (typeof config.extends !== "string" || !config.extends.startsWith(".")) break;
    const next = resolve(dirname(file), config.extends);
    file = next.endsWith(".json") ? next : `${next}.json`;
  }
  if (!paths) return [];
  const base = baseUrl ?? pathsBase!;
  const aliases = Object.entries(paths).flatMap(([pattern, targets]) => {
    if (!Array.isArray(targets)) return [];
    const star = pattern.indexOf("*");
    return [
      {
        prefix: star === -1 ? pattern : pattern.slice(0, star),
        suffix: star === -1 ? "" : pattern.slice(star + 1),
        wildcard: star !== -1,
        targets: targets
          .filter((t): t is string => typeof t === "string")
          .map((t) => relative(root, resolve(base, t))),
      },
    ];
  });
  // TypeScript prefers the pattern with the longest prefix.
  return aliases.sort((a, b) => b.prefix.length - a.prefix.length);
}

/** The root-relative paths (without extension resolution) an aliased specifier may name, best first. */
export function aliasCandidates(specifier: string, aliases: PathAliases): string[] {
  const out: string[] = [];
  for (const a of aliases) {
    if (!a.wildcard) {
      if (specifier === a.prefix) out.push(...a.targets);
      continue;
    }
    if (!specifier.startsWith(a.prefix) || !specifier.endsWith(a.suffix)) continue;
    if (specifier.length < a.prefix.length + a.suffix.length) continue;
    const middle = specifier.slice(a.prefix.length, specifier.length - a.suffix.length);
    out.push(...a.targets.map((t) => t.replace("*", middle)));
  }
  return out.map((p) => p.split("\\").join("/"));
}

/** JSON with comments and trailing commas, as tsconfig.json allows; undefined when unreadable. */
function readJsonc(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
      out += text.slice(start, i + 1);
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end === -1 ? text.length : end + 1;
    } else out += c;
  }
  try {
    return JSON.parse(out.replace(/,(\s*[}\]])/g, "$1"));
  } catch {
    return undefined;
  }
}
