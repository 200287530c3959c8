import type { Program, Statement } from "oxc-parser";
import { parse, parseSync } from "oxc-parser";
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
}

/** Parser options for every discovery parse: ESTree shapes, no parenthesis nodes. */
export const PARSE_OPTIONS = { astType: "js", preserveParens: false } as const;
/** Reduced text per parser call: big enough to amortise the call, small enough to overlap work. */
const BATCH_CHARS = 96 * 1024;

/** A parser fed file by file, so the parser's thread starts on a batch while files are still being read. */
export interface StreamingParser {
  add(file: SourceFile): void;
  /** Parses what is left and returns every file, in the order added. */
  finish(): Promise<ParsedFile[]>;
}

/**
 * Parses files for discovery, fed file by file. Each file is first cut down to the statements that can matter
 * ({@link reduceSource}); several files are parsed per call, on the parser's own thread while this
 * one prepares the next batch. A batch that does not parse is retried file by file, and a file whose
 * reduced text does not parse is parsed whole, so syntax errors are always the parser's verdict on
 * the real file.
 */
export function createParser(): StreamingParser {
  const files: SourceFile[] = [];
  const out: ParsedFile[] = [];
  const pending: Promise<void>[] = [];
  let batch: { index: number; reduced: ReducedSource; base: number }[] = [];
  let parts: string[] = [];
  let size = 0;
  const flush = (): void => {
    if (batch.length === 0) return;
    const members = batch;
    const text = parts.join("");
    batch = [];
    parts = [];
    size = 0;
    pending.push(
      parse("batch.ts", text, PARSE_OPTIONS).then((result) => {
        if (result.errors.length > 0) {
          for (const m of members) out[m.index] = parseOne(files[m.index]!, m.reduced);
          return;
        }
        splitBatch(result.program, members, files, out);
      }),
    );
  };
  return {
    add(file) {
      const index = files.push(file) - 1;
      const reduced = reduceSource(file.text, file.words);
      batch.push({ index, reduced, base: size });
      parts.push(reduced.text, "\n");
      size += reduced.text.length + 1;
      if (size >= BATCH_CHARS) flush();
    },
    async finish() {
      flush();
      await Promise.all(pending);
      return out;
    },
  };
}

function splitBatch(
  program: Program,
  members: { index: number; reduced: ReducedSource; base: number }[],
  files: readonly SourceFile[],
  out: ParsedFile[],
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

function parseOne(file: SourceFile, reduced: ReducedSource): ParsedFile {
  const small = parseSync(file.rel, reduced.text, PARSE_OPTIONS);
  if (small.errors.length === 0) {
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
