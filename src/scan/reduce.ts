/**
 * Cuts a source file down to the top-level statements discovery can care about, so the parser
 * builds a small AST: on a typical project most of the text is ordinary functions.
 *
 * The file is split at top-level statement starts (a line at bracket depth 0 whose first word is
 * a declaration keyword, or the point after a top-level `;`). A statement is kept when it is an
 * import or a re-export, or when it calls one of `words` (the local names of `remote` and the config
 * classes, namespace-qualified when imported as a namespace). Kept statements are joined with newlines; `toOriginal` maps an offset in the
 * reduced text back to the file.
 *
 * It is a tokenizer, not a parser: it skips strings, template literals, comments and regular
 * expressions so brackets inside them are ignored. Callers parse the reduced text and fall back to
 * the whole file whenever the reduced text does not parse, so a wrong cut never becomes an error.
 */
export interface ReducedSource {
  text: string;
  /** Pairs of (offset in reduced text, offset in original), ascending. */
  starts: number[];
  /** True when nothing was cut. */
  whole: boolean;
}

/** The statements of a file worth reading: [start, end) offset pairs, in order. */
export interface KeptStatements {
  ranges: number[];
  /** Statements in the file. */
  total: number;
}

/**
 * The top-level statements of `text` that can matter to discovery, or undefined when the file's
 * brackets do not balance (the cut points cannot be trusted then).
 */
export function keptStatements(text: string, words: readonly string[]): KeptStatements | undefined {
  const cuts = statementStarts(text);
  if (cuts === undefined) return undefined;
  cuts.push(text.length);
  const hits = wordHits(text, words);
  const ranges: number[] = [];
  let h = 0;
  for (let k = 0; k + 1 < cuts.length; k++) {
    const s = cuts[k]!;
    const e = cuts[k + 1]!;
    while (h < hits.length && hits[h]! < s) h++;
    if ((h < hits.length && hits[h]! < e) || startsWithModuleSyntax(text, s)) ranges.push(s, e);
  }
  return { ranges, total: cuts.length - 1 };
}

export function reduceSource(text: string, kept: KeptStatements | undefined): ReducedSource {
  // Unbalanced brackets: the file does not parse. Hand the parser the whole file, so it reports
  // the real error.
  if (kept === undefined || kept.ranges.length / 2 === kept.total)
    return { text, starts: [0, 0], whole: true };
  const parts: string[] = [];
  const starts: number[] = [];
  let length = 0;
  const { ranges } = kept;
  for (let k = 0; k < ranges.length; k += 2) {
    const s = ranges[k]!;
    const e = ranges[k + 1]!;
    starts.push(length, s);
    parts.push(text.slice(s, e), "\n");
    length += e - s + 1;
  }
  return { text: parts.join(""), starts, whole: false };
}

/** Maps an offset in the reduced text back to the original file. */
export function toOriginal(reduced: ReducedSource, offset: number): number {
  const s = reduced.starts;
  let lo = 0;
  let hi = s.length / 2 - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (s[mid * 2]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return s[lo * 2 + 1]! + (offset - s[lo * 2]!);
}

/** Offsets where one of `words` is used as a callee (`remote(`, `new LiveServerless(`, `remote<T>(`). */
function wordHits(text: string, words: readonly string[]): number[] {
  const hits: number[] = [];
  for (const w of words) {
    for (let at = text.indexOf(w); at !== -1; at = text.indexOf(w, at + w.length)) {
      if (at > 0 && (isWordChar(text.charCodeAt(at - 1)) || text.charCodeAt(at - 1) === 46)) continue;
      let k = at + w.length;
      while (k < text.length && isSpace(text.charCodeAt(k))) k++;
      const next = text.charCodeAt(k);
      if (next === 40 /* ( */ || next === 60 /* < */) hits.push(at);
    }
  }
  return hits.sort((a, b) => a - b);
}

function startsWithModuleSyntax(text: string, at: number): boolean {
  let i = at;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  if (text.startsWith("import", i)) return true;
  if (!text.startsWith("export", i)) return false;
  i += 6;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  const c = text.charCodeAt(i);
  return (
    c === 123 /* { */ || c === 42 /* * */ || text.startsWith("type {", i) || text.startsWith("default", i)
  );
}

const STATEMENT_KEYWORDS = new Set([
  "export",
  "import",
  "const",
  "let",
  "var",
  "function",
  "async",
  "class",
  "interface",
  "type",
  "enum",
  "declare",
  "abstract",
  "namespace",
]);

/** What can change the tokenizer's state at bracket depth 0, and below it. */
const AT_TOP = /[\n"'`/{}()[\];]/g;
const NESTED = /["'`/{}()[\]]/g;

/**
 * Offsets where top-level statements start (always including 0), ascending; undefined when the
 * brackets do not balance.
 *
 * It jumps from one character that matters to the next with a regular expression (native code),
 * rather than looking at every character in JavaScript: most of a file is function bodies, where
 * only brackets, quotes and slashes matter.
 */
function statementStarts(text: string): number[] | undefined {
  const starts = [0];
  const n = text.length;
  const templates: number[] = []; // depth at which each open `${` started
  let depth = 0;
  let i = 0;
  checkLineStart(text, 0, starts);
  while (i < n) {
    const re = depth === 0 ? AT_TOP : NESTED;
    re.lastIndex = i;
    if (!re.test(text)) break;
    const at = re.lastIndex - 1;
    const c = text.charCodeAt(at);
    i = at + 1;
    if (c === 10) {
      checkLineStart(text, i, starts);
    } else if (c === 59 /* ; */) {
      starts.push(i);
    } else if (c === 34 || c === 39) {
      i = skipString(text, at, c);
    } else if (c === 96) {
      i = skipTemplate(text, i, templates, depth);
    } else if (c === 47 /* / */) {
      const next = text.charCodeAt(i);
      if (next === 47) {
        const end = text.indexOf("\n", i);
        i = end === -1 ? n : end;
      } else if (next === 42) {
        const end = text.indexOf("*/", i + 1);
        i = end === -1 ? n : end + 2;
      } else if (regexCanStart(text, at)) {
        i = skipRegex(text, at);
      }
    } else if (c === 123 || c === 40 || c === 91) {
      depth++;
    } else if (c === 125 && templates.length > 0 && templates[templates.length - 1] === depth) {
      templates.pop();
      i = skipTemplate(text, i, templates, depth);
    } else {
      depth--;
    }
  }
  // Cuts must ascend; a `;` cut may sit after a line-start cut on the same line.
  if (depth !== 0 || templates.length > 0) return undefined;
  return starts.sort((a, b) => a - b).filter((v, k, a) => k === 0 || v !== a[k - 1]);
}

/** At a line start at depth 0: a statement keyword first on the line (after comments) starts a statement. */
function checkLineStart(text: string, at: number, starts: number[]): void {
  let i = at;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 13) i++;
    else if (c === 47 && text.charCodeAt(i + 1) === 42) {
      const end = text.indexOf("*/", i + 2);
      if (end === -1) return;
      i = end + 2;
    } else break;
  }
  if (!isWordChar(text.charCodeAt(i))) return;
  const s = i;
  while (isWordChar(text.charCodeAt(i))) i++;
  if (starts[starts.length - 1] !== s && STATEMENT_KEYWORDS.has(text.slice(s, i))) {
    // Attach the comment/blank lines before the statement to it: cut at the line start.
    starts.push(lineStartOf(text, s));
  }
}

/**
 * Whether a `/` at `at` (not a comment) starts a regular expression rather than dividing: it
 * does unless it follows an operand (a name or number that is not an expression keyword, or a
 * closing bracket).
 */
function regexCanStart(text: string, at: number): boolean {
  let j = at - 1;
  for (;;) {
    while (j >= 0 && isSpace(text.charCodeAt(j))) j--;
    // Look past a block comment, as if it were not there.
    if (j > 0 && text.charCodeAt(j) === 47 && text.charCodeAt(j - 1) === 42) {
      const open = text.lastIndexOf("/*", j - 2);
      if (open === -1) break;
      j = open - 1;
    } else break;
  }
  if (j < 0) return true;
  const c = text.charCodeAt(j);
  if (c === 41 || c === 93 || c === 125) return false;
  if (!isWordChar(c)) return true;
  const end = j + 1;
  while (j >= 0 && isWordChar(text.charCodeAt(j))) j--;
  return EXPRESSION_KEYWORDS.has(text.slice(j + 1, end));
}

function lineStartOf(text: string, at: number): number {
  const nl = text.lastIndexOf("\n", at - 1);
  return nl + 1;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

export function isWordChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36 || c > 127
  );
}

export const EXPRESSION_KEYWORDS: ReadonlySet<string> = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "yield",
  "await",
]);

function skipString(text: string, i: number, quote: number): number {
  const n = text.length;
  i++;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 92) i += 2;
    else if (c === quote || c === 10) return i + 1;
    else i++;
  }
  return n;
}

/** Skips template text from `i` to its end, or to a `${` (recording the depth to return to). */
function skipTemplate(text: string, i: number, templates: number[], depth: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 92) i += 2;
    else if (c === 96) return i + 1;
    else if (c === 36 && text.charCodeAt(i + 1) === 123) {
      templates.push(depth);
      return i + 2;
    } else i++;
  }
  return n;
}

function skipRegex(text: string, i: number): number {
  const n = text.length;
  let inClass = false;
  i++;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 92) i += 2;
    else if (c === 10) return i;
    else if (c === 91) {
      inClass = true;
      i++;
    } else if (c === 93) {
      inClass = false;
      i++;
    } else if (c === 47 && !inClass) {
      i++;
      while (i < n && isWordChar(text.charCodeAt(i))) i++;
      return i;
    } else i++;
  }
  return n;
}
