import type { Program, Statement } from "oxc-parser";
import { loadOxc, oxcSync, PARSE_OPTIONS, syntaxErrorOf } from "./oxc.ts";
import { type ReducedSource, reduceSource, toOriginal } from "./reduce.ts";

/** One project file read for discovery. */
export interface SourceFile {
  /** Path relative to the project root, POSIX. */
  rel: string;
  /** The whole original text. */
  text: string;
  /** Callee names to look for (local names of `remote` and the config classes). */
  words: readonly string[];
}

/** A parsed file: its top-level statements, with offsets mapped back to the original text. */
export interface ParsedFile extends SourceFile {
  body: Statement[];
  /** Maps an AST offset to an offset in `text`. */
  offset(astOffset: number): number;
  /** Set when the file does not parse; `at` is an offset in `text`. */
  syntaxError?: { message: string; at: number };
  /** Set by the quick parser: function bodies are opaque (extent only, no statements). */
  quick?: boolean;
}
/** Reduced text per parser call: big enough to amortise the call, small enough to overlap work. */
const BATCH_CHARS = 96 * 1024;

/**
 * What parsing a file gave: its AST (a full parse, or a whole-file parse after the reduced text
 * failed), a syntax error, or `"ok"` for a file queued only to have its syntax checked.
 */
export type ParseOutcome = ParsedFile | "ok";

/** A parser fed file by file, so the parser's thread starts on a batch while files are still being read. */
export interface StreamingParser {
  /**
   * Queues a file; returns its index in the array {@link finish} resolves to. With `checkOnly`,
   * the caller has the file's facts already and wants oxc's verdict on its syntax: no AST is
   * handed over unless the reduced text fails and the whole file parses (then the cut was wrong,
   * and the whole file's AST is the answer).
   */
  add(file: SourceFile, reduced: ReducedSource, checkOnly: boolean): number;
  /**
   * Parses what is left. Both promises resolve to the outcomes, in the order added: `parsed` once
   * every file queued for a full parse has its outcome (syntax checks may still be running; their
   * slots are unset), `checked` once every file has its outcome.
   */
  finish(): { parsed: Promise<ParseOutcome[]>; checked: Promise<ParseOutcome[]> };
}

interface Member {
  index: number;
  reduced: ReducedSource;
  base: number;
}

/**
 * Parses files for discovery, fed file by file, each already cut down to the statements that can
 * matter ({@link reduceSource}); several files are parsed per call, on the parser's own thread
 * while this one prepares the next batch. A batch that does not parse is retried file by file,
 * and a file whose reduced text does not parse is parsed whole, so syntax errors are always the
 * parser's verdict on the real file.
 */
export function createParser(): StreamingParser {
  const files: SourceFile[] = [];
  const out: ParseOutcome[] = [];
  const pendingParses: Promise<void>[] = [];
  const pendingChecks: Promise<void>[] = [];
  const batches = [new Batch(false), new Batch(true)];
  const flush = (batch: Batch): void => {
    if (batch.members.length === 0) return;
    const { members, checkOnly } = batch;
    const text = batch.parts.join("");
    batch.reset();
    const retry = async (): Promise<void> => {
      await loadOxc();
      for (const m of members) out[m.index] = parseOne(files[m.index]!, m.reduced, checkOnly);
    };
    if (checkOnly) {
      pendingChecks.push(
        syntaxErrorOf("batch.ts", text).then((error) => {
          if (error) return retry();
          for (const m of members) out[m.index] = "ok";
        }),
      );
    } else {
      pendingParses.push(
        loadOxc().then(async (oxc) => {
          const result = await oxc.parse("batch.ts", text, PARSE_OPTIONS);
          if (result.errors.length > 0) return retry();
          splitBatch(result.program, members, files, out);
        }),
      );
    }
  };
  return {
    add(file, reduced, checkOnly) {
      const index = files.push(file) - 1;
      const batch = batches[checkOnly ? 1 : 0]!;
      batch.members.push({ index, reduced, base: batch.size });
      batch.parts.push(reduced.text, "\n");
      batch.size += reduced.text.length + 1;
      if (batch.size >= BATCH_CHARS) flush(batch);
      return index;
    },
    finish() {
      for (const batch of batches) flush(batch);
      const parsed = Promise.all(pendingParses).then(() => out);
      const checked = Promise.all([parsed, ...pendingChecks]).then(() => out);
      // The caller awaits `checked` only after discovery: until then a failure must not count as unhandled.
      checked.catch(() => {});
      return { parsed, checked };
    },
  };
}

class Batch {
  members: Member[] = [];
  parts: string[] = [];
  size = 0;
  constructor(readonly checkOnly: boolean) {}
  reset(): void {
    this.members = [];
    this.parts = [];
    this.size = 0;
  }
}

function splitBatch(
  program: Program,
  members: Member[],
  files: readonly SourceFile[],
  out: ParseOutcome[],
): void {
  let m = 0;
  const bodies: Statement[][] = members.map(() => []);
  for (const statement of program.body) {
    while (m + 1 < members.length && statement.start >= members[m + 1]!.base) m++;
    bodies[m]!.push(statement as Statement);
  }
  members.forEach((member, k) => {
    const { reduced, base } = member;
    out[member.index] = {
      ...files[member.index]!,
      body: bodies[k]!,
      offset: (o) => toOriginal(reduced, o - base),
    };
  });
}

function parseOne(file: SourceFile, reduced: ReducedSource, checkOnly: boolean): ParseOutcome {
  const { parseSync } = oxcSync();
  const small = parseSync(file.rel, reduced.text, PARSE_OPTIONS);
  if (small.errors.length === 0) {
    if (checkOnly) return "ok";
    return { ...file, body: small.program.body as Statement[], offset: (o) => toOriginal(reduced, o) };
  }
  const whole = parseSync(file.rel, file.text, PARSE_OPTIONS);
  if (whole.errors.length === 0)
    return { ...file, body: whole.program.body as Statement[], offset: (o) => o };
  const first = whole.errors[0]!;
  return {
    ...file,
    body: [],
    offset: (o) => o,
    syntaxError: { message: first.message, at: first.labels[0]?.start ?? 0 },
  };
}
