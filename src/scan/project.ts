import type { Expression, Node } from "oxc-parser";
import { type Binding, collectFacts, type FileFacts } from "./facts.ts";
import { oxcSync, PARSE_OPTIONS } from "./oxc.ts";
import type { ParsedFile } from "./parse.ts";
import { aliasCandidates, type PathAliases, readPathAliases } from "./path-aliases.ts";
import type { SourceLocation } from "./types.ts";

const RESOLVE_SUFFIXES = [
  "",
  ".ts",
  ".mts",
  ".js",
  ".mjs",
  "/index.ts",
  "/index.mts",
  "/index.js",
  "/index.mjs",
];

/**
 * The files of one scan and the cross-file lookups discovery needs: module resolution between
 * project files, following exports and re-exports, and source locations. Files that were not
 * parsed up front (they never mention the SDK) are parsed on demand, and a file parsed from its
 * reduced text is parsed whole when a lookup in it finds nothing, so the reducer never hides a
 * declaration.
 */
export class Project {
  readonly facts = new Map<string, FileFacts>();
  private readonly whole = new Set<string>();
  private readonly lineStarts = new Map<string, number[]>();
  private aliases: PathAliases | undefined;

  constructor(
    readonly root: string,
    readonly texts: Map<string, string>,
  ) {}

  add(file: ParsedFile, whole: boolean): FileFacts {
    return this.addFacts(collectFacts(file), whole);
  }

  /** Records facts collected beforehand. */
  addFacts(facts: FileFacts, whole: boolean): FileFacts {
    this.facts.set(facts.file.rel, facts);
    if (whole) this.whole.add(facts.file.rel);
    return facts;
  }

  /** Facts of a project file, parsing it on demand; undefined when it is not a scanned file or does not parse. */
  factsOf(rel: string): FileFacts | undefined {
    const known = this.facts.get(rel);
    if (known) return known;
    const text = this.texts.get(rel);
    if (text === undefined) return undefined;
    return this.parseWhole(rel, text);
  }

  /** The same file parsed in full (a no-op when it already was). */
  wholeFacts(facts: FileFacts): FileFacts {
    const rel = facts.file.rel;
    if (this.whole.has(rel)) return facts;
    return this.parseWhole(rel, facts.file.text) ?? facts;
  }

  private parseWhole(rel: string, text: string): FileFacts | undefined {
    const result = oxcSync().parseSync(rel, text, PARSE_OPTIONS);
    this.whole.add(rel);
    if (result.errors.length > 0) return undefined;
    const previous = this.facts.get(rel);
    const file: ParsedFile = {
      rel,
      text,
      words: previous?.file.words ?? [],
      body: result.program.body as ParsedFile["body"],
      offset: (o) => o,
    };
    return this.add(file, true);
  }

  /** Resolves a relative import specifier of `fromRel` to a project file. */
  resolveModule(fromRel: string, specifier: string): string | undefined {
    if (!specifier.startsWith(".") && !specifier.startsWith("/")) {
      // A bare specifier is a package, or a tsconfig `paths` alias naming project files.
      this.aliases ??= readPathAliases(this.root);
      for (const candidate of aliasCandidates(specifier, this.aliases)) {
        const hit = this.resolveFile(normalize(candidate));
        if (hit) return hit;
      }
      return undefined;
    }
    const dir = fromRel.includes("/") ? fromRel.slice(0, fromRel.lastIndexOf("/")) : "";
    return this.resolveFile(normalize(dir === "" ? specifier : `${dir}/${specifier}`));
  }

  /** A root-relative module path to the project file it names, trying TypeScript's suffixes. */
  private resolveFile(joined: string | undefined): string | undefined {
    if (joined === undefined) return undefined;
    // TypeScript style: `./x.js` names `./x.ts`.
    const bases = [joined];
    const swapped = joined.replace(/\.js$/, ".ts").replace(/\.mjs$/, ".mts");
    if (swapped !== joined) bases.unshift(swapped);
    for (const base of bases) {
      for (const suffix of RESOLVE_SUFFIXES) {
        if (this.texts.has(base + suffix)) return base + suffix;
      }
    }
    return undefined;
  }

  /**
   * Follows an import of `imported` from `source` (relative to `facts`' file) through exports,
   * re-exports and `export *` to the file and top-level name that define it.
   */
  resolveImport(
    facts: FileFacts,
    source: string,
    imported: string,
    seen = new Set<string>(),
  ): { facts: FileFacts; local: string; binding: Binding | undefined } | undefined {
    const rel = this.resolveModule(facts.file.rel, source);
    if (rel === undefined) return undefined;
    const key = `${rel}#${imported}`;
    if (seen.has(key)) return undefined;
    seen.add(key);
    let target = this.factsOf(rel);
    if (!target) return undefined;
    let found = this.lookupExport(target, imported, seen);
    if (!found && !this.whole.has(rel)) {
      target = this.wholeFacts(target);
      found = this.lookupExport(target, imported, seen);
    }
    return found;
  }

  private lookupExport(
    target: FileFacts,
    imported: string,
    seen: Set<string>,
  ): { facts: FileFacts; local: string; binding: Binding | undefined } | undefined {
    const local = target.exports.get(imported);
    if (local !== undefined) {
      const binding = target.bindings.get(local);
      if (binding?.kind === "import")
        return this.resolveImport(target, binding.source, binding.imported, seen);
      return { facts: target, local, binding };
    }
    const re = target.reexports.get(imported);
    if (re) return this.resolveImport(target, re.source, re.imported, seen);
    for (const source of target.starExports) {
      const hit = this.resolveImport(target, source, imported, seen);
      if (hit) return hit;
    }
    return undefined;
  }

  /** The expression an imported const is initialised with, for the static evaluator. */
  importedExpression(
    facts: FileFacts,
    source: string,
    imported: string,
  ): { facts: FileFacts; expr: Expression } | undefined {
    const hit = this.resolveImport(facts, source, imported);
    if (hit?.binding?.kind === "local" && hit.binding.constant && hit.binding.init) {
      return { facts: hit.facts, expr: hit.binding.init };
    }
    return undefined;
  }

  /** Location of an offset in a file's original text. */
  loc(rel: string, offset: number): SourceLocation {
    // Line starts are found only as far as asked: locations are mostly near the top of a file.
    const text = this.texts.get(rel) ?? "";
    let starts = this.lineStarts.get(rel);
    if (!starts) {
      starts = [0];
      this.lineStarts.set(rel, starts);
    }
    for (let last = starts[starts.length - 1]!; last <= offset; ) {
      const nl = text.indexOf("\n", last);
      if (nl === -1 || nl >= offset) break;
      last = nl + 1;
      starts.push(last);
    }
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { file: rel, line: lo + 1, column: offset - starts[lo]! + 1 };
  }

  /** Location of an AST node of a file. */
  nodeLoc(facts: FileFacts, node: Node): SourceLocation {
    return this.loc(facts.file.rel, facts.file.offset(node.start));
  }
}

function normalize(path: string): string | undefined {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length === 0) return undefined;
      out.pop();
    } else out.push(part);
  }
  return out.join("/");
}
