import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { FlashError } from "../shared/errors.ts";
import { discoverResources } from "./discover.ts";
import { collectFacts, type FileFacts, NeedsFullParse, SDK_PACKAGE, sdkCalleeWords } from "./facts.ts";
import { listProjectFiles } from "./files.ts";
import { loadOxc, OxcNotLoaded } from "./oxc.ts";
import { createParser, type ParseOutcome, type SourceFile } from "./parse.ts";
import { type Problem, problemsError } from "./problems.ts";
import { Project } from "./project.ts";
import { quickParse } from "./quick-parse.ts";
import { type KeptStatements, keptStatements, reduceSource } from "./reduce.ts";
import { routesOf } from "./routes.ts";
import type { ScanResult, ScanWarning } from "./types.ts";

export { routesOf } from "./routes.ts";
export type * from "./types.ts";

/**
 * Finds every remote function of the project at `root` without running any of its code.
 *
 * @returns the resources (one per file with remote functions, sorted by path) and warnings
 * @throws FlashError SCAN_SYNTAX / SCAN_INVALID listing every problem as `file:line:column: message`
 */
export async function scanProject(root: string, options: ScanOptions = {}): Promise<ScanResult> {
  const absRoot = resolve(root);
  const rels = await listProjectFiles(absRoot);
  // Synchronous reads: for many small files they beat a promise per file several times over.
  return scanFiles(absRoot, rels, (rel) => readFileSync(join(absRoot, rel), "utf8"), options);
}

/**
 * {@link scanProject} on files already listed (`rels`, sorted, relative to the absolute `root`),
 * their text given by `textOf`.
 */
export async function scanFiles(
  absRoot: string,
  rels: readonly string[],
  textOf: (rel: string, index: number) => string,
  options: ScanOptions = {},
): Promise<ScanResult> {
  // Each file's relevant statements are read by the quick parser here, while oxc, on its own
  // thread, checks their syntax (or, for files the quick parser declines, builds their AST).
  const texts = new Map<string, string>();
  const parser = createParser();
  const slots: Slot[] = [];
  for (const [i, rel] of rels.entries()) {
    const text = textOf(rel, i);
    texts.set(rel, text);
    if (!text.includes(SDK_PACKAGE)) continue;
    const source: SourceFile = { rel, text, words: sdkCalleeWords(text) };
    const kept = keptStatements(text, source.words);
    const facts = options.quick !== false && kept !== undefined ? quickFacts(source, kept) : undefined;
    const index = parser.add(source, reduceSource(text, kept), facts !== undefined);
    slots.push({ index, facts });
  }
  // Discovery starts as soon as the files the quick parser declined are parsed, while oxc is still
  // checking the syntax of the others: a file whose check fails is rare, and only then is the
  // project assembled again and discovery rerun.
  const { parsed, checked } = parser.finish();
  const outcomes = await parsed;
  const first = await discoverAll(absRoot, rels.length, assemble(absRoot, texts, slots, outcomes));
  const final = await checked;
  const outcome = slots.every(({ index, facts }) => facts === undefined || final[index] === "ok")
    ? first
    : await discoverAll(absRoot, rels.length, assemble(absRoot, texts, slots, final));
  if (outcome.problems.length > 0) throw problemsError(outcome.problems);
  return outcome.result;
}

interface Slot {
  index: number;
  /** Facts the quick parser read, pending oxc's syntax check; undefined when oxc parses the file. */
  facts: FileFacts | undefined;
}

/** The project from the quick facts and parse outcomes; a quick file not checked yet counts as fine. */
function assemble(
  root: string,
  texts: Map<string, string>,
  slots: readonly Slot[],
  outcomes: readonly ParseOutcome[],
): { project: Project; syntax: Problem[] } {
  const project = new Project(root, texts);
  const syntax: Problem[] = [];
  for (const { index, facts } of slots) {
    const file = outcomes[index];
    if (file === "ok" || (file === undefined && facts !== undefined)) {
      project.addFacts(facts!, false);
    } else if (file === undefined) {
      throw new FlashError("INTERNAL", `the scanner has no parse outcome for file ${index}`);
    } else if (file.syntaxError) {
      syntax.push({
        at: project.loc(file.rel, file.syntaxError.at),
        message: file.syntaxError.message,
        syntax: true,
      });
    } else {
      project.add(file, false);
    }
  }
  return { project, syntax };
}

async function discoverAll(
  root: string,
  filesScanned: number,
  { project, syntax }: { project: Project; syntax: Problem[] },
): Promise<{ result: ScanResult; problems: Problem[] }> {
  // Discovery may need oxc on demand (a declaration the quick parse skipped); it is loaded then
  // and discovery runs again, which is cheap next to parsing.
  for (;;) {
    const problems = [...syntax];
    const warnings: ScanWarning[] = [];
    try {
      const resources = discoverResources(project, problems, warnings);
      const result: ScanResult = { root, resources, warnings, filesScanned };
      checkRouteCollisions(result, problems);
      warnings.sort((a, b) => a.at.file.localeCompare(b.at.file) || a.at.line - b.at.line);
      return { result, problems };
    } catch (err) {
      if (!(err instanceof OxcNotLoaded)) throw err;
      await loadOxc();
    }
  }
}

/** Options of {@link scanProject}. */
export interface ScanOptions {
  /**
   * Read the usual statement shapes with the quick parser (default true). False parses every
   * file with oxc; the results are the same, which the tests check by scanning both ways.
   */
  quick?: boolean;
}

/** Facts of a file read by the quick parser, or undefined when the file needs oxc. */
function quickFacts(source: SourceFile, kept: KeptStatements): FileFacts | undefined {
  const file = quickParse(source, kept);
  if (file === undefined) return undefined;
  try {
    return collectFacts(file);
  } catch (err) {
    if (err instanceof NeedsFullParse) return undefined;
    throw err;
  }
}

function checkRouteCollisions(result: ScanResult, problems: Problem[]): void {
  const seen = new Map<string, { file: string; line: number }>();
  for (const route of routesOf(result)) {
    const key = `${route.method} ${route.path}`;
    const prior = seen.get(key);
    if (prior && prior.file !== route.file) {
      problems.push({
        at: { file: route.file, line: route.line, column: 1 },
        message: `route ${key} is also served by ${prior.file}:${prior.line}; rename a file or change the route path`,
      });
    } else if (!prior) seen.set(key, route);
  }
}

/** The message for a project without remote functions: what a minimal file looks like, and what to run. */
export function noFunctionsError(root: string): FlashError {
  return new FlashError("NO_FUNCTIONS", `No remote functions found in ${root}.`, {
    hint: [
      "A Flash project is any folder with a .ts file that exports a remote() function, e.g. gpu_worker.ts:",
      "",
      '  import { remote, LiveServerless, GpuGroup } from "runpod-flash";',
      "",
      '  const gpu = new LiveServerless({ name: "gpu_worker", gpus: [GpuGroup.ANY] });',
      "",
      "  export const process = remote(gpu, async (input: { prompt: string }) => {",
      '    return { result: "processed", input };',
      "  });",
      "",
      "Then run: flash run   (or flash init to scaffold a project)",
    ].join("\n"),
  });
}
