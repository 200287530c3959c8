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

const OTHER = 0;
const WORD = 1;
const BLANK = 2;
const NEWLINE = 3;
/** What each ASCII character is to the tokenizer (non-ASCII counts as part of a name). */
const CHAR_KIND = new Uint8Array(128).map((_, c) =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36
    ? WORD
    : c === 32 || c === 9 || c === 13
      ? BLANK
      : c === 10
        ? NEWLINE
        : OTHER,
);

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

/** Offsets where top-level statements start (always including 0), ascending. */
function statementStarts(text: string): number[] | undefined {
  const starts = [0];
  const n = text.length;
  const templates: number[] = []; // depth at which each open `${` started
  let depth = 0;
  let i = 0;
  let prev = 10; // previous significant char code; newline at start
  // The previous word, as offsets: slicing every word of a large file is most of the garbage a
  // scan makes, and the word's text is needed only before a `/` or at a top-level line start.
  let wordStart = -1;
  let wordEnd = -1;
  let lineStart = true;
  while (i < n) {
    const c = text.charCodeAt(i);
    // Most characters are parts of names or blanks: one table lookup settles them.
    const kind = c < 128 ? CHAR_KIND[c]! : WORD;
    if (kind === WORD) {
      const s = i;
      i++;
      for (;;) {
        const d = text.charCodeAt(i);
        if (i < n && (d >= 128 || CHAR_KIND[d] === WORD)) i++;
        else break;
      }
      wordStart = s;
      wordEnd = i;
      prev = c;
      if (
        lineStart &&
        depth === 0 &&
        starts[starts.length - 1] !== s &&
        STATEMENT_KEYWORDS.has(text.slice(s, i))
      ) {
        // Attach the comment/blank lines before the statement to it: cut at the line start.
        starts.push(lineStartOf(text, s));
      }
      lineStart = false;
      continue;
    }
    if (kind === BLANK) {
      i++;
      continue;
    }
    if (kind === NEWLINE) {
      lineStart = true;
      i++;
      continue;
    }
    const atLineStart: boolean = lineStart;
    lineStart = false;
    if (c === 47 /* / */) {
      const next = text.charCodeAt(i + 1);
      if (next === 47) {
        const end = text.indexOf("\n", i);
        i = end === -1 ? n : end;
        lineStart = atLineStart;
        continue;
      }
      if (next === 42) {
        const end = text.indexOf("*/", i + 2);
        i = end === -1 ? n : end + 2;
        lineStart = atLineStart;
        continue;
      }
      if (
        wordStart !== -1
          ? EXPRESSION_KEYWORDS.has(text.slice(wordStart, wordEnd))
          : !(prev === 41 || prev === 93 || prev === 125)
      ) {
        i = skipRegex(text, i);
        prev = 47;
        wordStart = -1;
        continue;
      }
    } else if (c === 34 || c === 39) {
      i = skipString(text, i, c);
      prev = c;
      wordStart = -1;
      continue;
    } else if (c === 96) {
      i = skipTemplate(text, i + 1, templates, depth);
      prev = 96;
      wordStart = -1;
      continue;
    } else if (c === 123 || c === 40 || c === 91) {
      depth++;
    } else if (c === 125 || c === 41 || c === 93) {
      if (c === 125 && templates.length > 0 && templates[templates.length - 1] === depth) {
        templates.pop();
        i = skipTemplate(text, i + 1, templates, depth);
        prev = 96;
        wordStart = -1;
        continue;
      }
      depth--;
    } else if (c === 59 /* ; */ && depth === 0) {
      starts.push(i + 1);
    }
    prev = c;
    wordStart = -1;
    i++;
  }
  // Cuts must ascend; a `;` cut may sit after a line-start cut on the same line.
  if (depth !== 0 || templates.length > 0) return undefined;
  return starts.sort((a, b) => a - b).filter((v, k, a) => k === 0 || v !== a[k - 1]);
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
