import type { CallExpression, Expression, Node, Statement } from "oxc-parser";
import { RESOURCE_TYPES } from "../sdk/config.ts";
import { keyName, unwrap, walk } from "./ast.ts";
import type { ParsedFile } from "./parse.ts";

/** The package name user code imports the SDK from. */
export const SDK_PACKAGE = "runpod-flash";

/** What a top-level name of a file is bound to. */
export type Binding =
  | { kind: "sdk"; imported: string }
  | { kind: "sdk-namespace" }
  | { kind: "import"; source: string; imported: string; at: number }
  | { kind: "local"; init: Expression | null; constant: boolean; at: number };

/** A `remote(...)` call found in a file. */
export interface RemoteCallSite {
  call: CallExpression;
  /** Offset (original text) of the call. */
  at: number;
  /** The top-level const it initialises, if any. */
  local?: string;
  /** Set for `export default remote(...)`. */
  exportedAsDefault?: boolean;
}

/** What discovery needs to know about one file, from its AST alone. */
export interface FileFacts {
  file: ParsedFile;
  bindings: Map<string, Binding>;
  /** Export name → local name, for `export const x` and `export { a as x }`. */
  exports: Map<string, string>;
  /** Export name → re-export source and imported name, for `export { x } from "./y"`. */
  reexports: Map<string, { source: string; imported: string }>;
  /** Sources of `export * from "./y"`. */
  starExports: string[];
  remoteCalls: RemoteCallSite[];
  /** Offset ranges of import statements (original text), to tell uses from imports. */
  importRanges: [number, number][];
}

/**
 * Local names a file binds to the SDK, read with a regular expression before parsing, to tell the
 * source reducer which statements matter. Falls back to the SDK's own names.
 */
export function sdkCalleeWords(text: string): string[] {
  const words = new Set<string>();
  // Only the import statements naming the SDK are read: from each mention of the package back to
  // the `import` before it (a sticky match there), not the whole file.
  for (let at = text.indexOf(SDK_PACKAGE); at !== -1; at = text.indexOf(SDK_PACKAGE, at + 1)) {
    let m: RegExpExecArray | null = null;
    for (let start = text.lastIndexOf("import", at); start !== -1 && m === null; ) {
      SDK_IMPORT.lastIndex = start;
      m = SDK_IMPORT.exec(text);
      start = start === 0 ? -1 : text.lastIndexOf("import", start - 1);
    }
    if (m === null) continue;
    const clause = m[1] ?? "";
    const ns = /\*\s*as\s+([A-Za-z_$][\w$]*)/.exec(clause);
    if (ns) for (const name of ["remote", ...RESOURCE_TYPES]) words.add(`${ns[1]}.${name}`);
    const named = /\{([^}]*)\}/.exec(clause);
    for (const spec of named?.[1]?.split(",") ?? []) {
      const parts = spec.trim().split(/\s+as\s+/);
      const local = (parts[1] ?? parts[0] ?? "").replace(/^type\s+/, "").trim();
      if (local) words.add(local);
    }
  }
  if (words.size === 0) for (const name of ["remote", ...RESOURCE_TYPES]) words.add(name);
  return [...words];
}

const SDK_IMPORT = /import\s+(?!type\s)([^;]*?)\s*from\s*["']runpod-flash["']/y;

/**
 * Thrown by {@link collectFacts} for a quickly parsed file that has `remote()` calls in places the
 * quick parser keeps opaque (inside functions): the file needs a full parse.
 */
export class NeedsFullParse extends Error {
  constructor() {
    super("the file needs a full parse");
  }
}

/** Collects bindings, exports and `remote()` call sites of a parsed file. */
export function collectFacts(file: ParsedFile): FileFacts {
  const facts: FileFacts = {
    file,
    bindings: new Map(),
    exports: new Map(),
    reexports: new Map(),
    starExports: [],
    remoteCalls: [],
    importRanges: [],
  };
  const claimed = new Set<CallExpression>();
  for (const statement of file.body) collectStatement(facts, statement, claimed);
  // Every other remote() call (inside functions, unexported expressions) is found by a walk, of
  // only the statements whose text names `remote` more often than the calls already found there.
  const names = remoteNames(facts);
  let claimedAt = facts.remoteCalls.map((c) => c.at).sort((a, b) => a - b);
  for (const statement of file.body) {
    if (statement.type === "ImportDeclaration") continue;
    const start = file.offset(statement.start);
    const end = file.offset(statement.end);
    const known = claimedAt.filter((at) => at >= start && at < end).length;
    claimedAt = claimedAt.filter((at) => at >= end);
    if (countOccurrences(file.text, names, start, end) <= known) continue;
    if (file.quick) throw new NeedsFullParse();
    walk(statement, (node) => {
      if (node.type === "CallExpression" && !claimed.has(node) && isRemoteCallee(facts, node.callee)) {
        facts.remoteCalls.push({ call: node, at: file.offset(node.start) });
      }
    });
  }
  return facts;
}

/** Local names under which the file can call `remote` (`remote`, an alias, `ns.remote`). */
function remoteNames(facts: FileFacts): string[] {
  const names: string[] = [];
  for (const [local, b] of facts.bindings) {
    if (b.kind === "sdk" && b.imported === "remote") names.push(local);
    else if (b.kind === "sdk-namespace") names.push(`${local}.remote`);
  }
  return names;
}

function countOccurrences(text: string, words: readonly string[], start: number, end: number): number {
  let n = 0;
  for (const w of words) {
    for (let at = text.indexOf(w, start); at !== -1 && at < end; at = text.indexOf(w, at + w.length)) n++;
  }
  return n;
}

function collectStatement(facts: FileFacts, statement: Statement, claimed: Set<CallExpression>): void {
  const { file } = facts;
  switch (statement.type) {
    case "ImportDeclaration": {
      facts.importRanges.push([file.offset(statement.start), file.offset(statement.end)]);
      if (statement.importKind === "type") return;
      const source = statement.source.value;
      for (const spec of statement.specifiers) {
        if (spec.type === "ImportSpecifier" && spec.importKind === "type") continue;
        const local = spec.local.name;
        if (source === SDK_PACKAGE) {
          if (spec.type === "ImportNamespaceSpecifier") facts.bindings.set(local, { kind: "sdk-namespace" });
          else if (spec.type === "ImportSpecifier") {
            facts.bindings.set(local, { kind: "sdk", imported: keyName(spec.imported) ?? "" });
          }
        } else {
          // Relative imports, and bare ones a tsconfig `paths` alias may map to project files
          // (packages simply do not resolve to one).
          const imported =
            spec.type === "ImportSpecifier"
              ? (keyName(spec.imported) ?? "")
              : spec.type === "ImportDefaultSpecifier"
                ? "default"
                : "*";
          facts.bindings.set(local, { kind: "import", source, imported, at: file.offset(spec.start) });
        }
      }
      return;
    }
    case "VariableDeclaration":
      collectDeclarations(facts, statement, false, claimed);
      return;
    case "ExportNamedDeclaration": {
      if (statement.exportKind === "type") return;
      const decl = statement.declaration;
      if (decl?.type === "VariableDeclaration") collectDeclarations(facts, decl, true, claimed);
      else if ((decl?.type === "FunctionDeclaration" || decl?.type === "ClassDeclaration") && decl.id) {
        facts.exports.set(decl.id.name, decl.id.name);
        facts.bindings.set(decl.id.name, {
          kind: "local",
          init: null,
          constant: true,
          at: file.offset(decl.start),
        });
      }
      for (const spec of statement.specifiers) {
        if (spec.exportKind === "type") continue;
        const local = keyName(spec.local) ?? "";
        const exported = keyName(spec.exported) ?? "";
        if (statement.source)
          facts.reexports.set(exported, { source: statement.source.value, imported: local });
        else facts.exports.set(exported, local);
      }
      return;
    }
    case "ExportAllDeclaration":
      if (statement.exportKind !== "type" && !statement.exported)
        facts.starExports.push(statement.source.value);
      return;
    case "ExportDefaultDeclaration": {
      const decl = statement.declaration as Node;
      if (decl.type === "CallExpression" && isRemoteCallee(facts, decl.callee)) {
        claimed.add(decl);
        facts.remoteCalls.push({ call: decl, at: file.offset(decl.start), exportedAsDefault: true });
      }
      return;
    }
    case "FunctionDeclaration":
    case "ClassDeclaration":
      if (statement.id) {
        facts.bindings.set(statement.id.name, {
          kind: "local",
          init: null,
          constant: true,
          at: file.offset(statement.start),
        });
      }
      return;
    default:
      return;
  }
}

function collectDeclarations(
  facts: FileFacts,
  decl: import("oxc-parser").VariableDeclaration,
  exported: boolean,
  claimed: Set<CallExpression>,
): void {
  for (const d of decl.declarations) {
    if (d.id.type !== "Identifier") continue;
    const name = d.id.name;
    facts.bindings.set(name, {
      kind: "local",
      init: d.init,
      constant: decl.kind === "const",
      at: facts.file.offset(d.start),
    });
    if (exported) facts.exports.set(name, name);
    const init = d.init ? unwrap(d.init) : null;
    if (init?.type === "CallExpression" && isRemoteCallee(facts, init.callee)) {
      claimed.add(init);
      facts.remoteCalls.push({ call: init, at: facts.file.offset(init.start), local: name });
    }
  }
}

/** True when `callee` is the SDK's `remote` (any alias, or `ns.remote`). */
export function isRemoteCallee(facts: FileFacts, callee: Expression): boolean {
  return sdkMemberName(facts, callee) === "remote";
}

/**
 * The SDK export an expression names: `remote` for `remote` / `r` (aliased) / `flash.remote`;
 * undefined when it is not an SDK binding.
 */
export function sdkMemberName(facts: FileFacts, expr: Expression): string | undefined {
  const e = unwrap(expr);
  if (e.type === "Identifier") {
    const b = facts.bindings.get(e.name);
    return b?.kind === "sdk" ? b.imported : undefined;
  }
  if (e.type === "MemberExpression" && !e.computed && e.object.type === "Identifier") {
    const b = facts.bindings.get(e.object.name);
    return b?.kind === "sdk-namespace" ? keyName(e.property) : undefined;
  }
  return undefined;
}
