/**
 * How deep JSON from outside may nest, and the one parser every server uses for JSON bodies.
 *
 * `JSON.parse` copes with any depth, but `JSON.stringify` and every recursive walk overflow the
 * stack a few thousand levels down, and a throw there in a server callback ends the process. So a
 * body is refused (400) before it is parsed when it nests deeper than its limit, and what is
 * accepted can be handed on, serialised and walked safely. Depth counts brackets: `1` is 0, `[]` is
 * 1, `{"input": {"a": []}}` is 3. Nothing here imports anything (the worker runtime uses it too).
 */

/** The deepest JSON a user may send: a dev server route's body, a job's input, an LB request's body. */
export const MAX_JSON_DEPTH = 512;

/**
 * The deepest JSON carrying user data in an envelope: `/run` bodies (`{"input": ...}`, which the
 * dev server wraps again as `{"input": {"__flash__": ..., "input": ...}}`) and a worker's job-done
 * and job-stream bodies (`{"output": ...}`). A few levels over {@link MAX_JSON_DEPTH}, far below
 * where serialising overflows.
 */
export const CARRIER_JSON_DEPTH = MAX_JSON_DEPTH + 8;

/**
 * True when the JSON text `text` nests deeper than `limit`: one linear pass counting brackets
 * outside strings (it does not validate; `JSON.parse` does that after). Text shorter than
 * `2 × (limit + 1)` cannot hold that many bracket pairs and is not scanned.
 */
export function jsonTextTooDeep(text: string, limit: number): boolean {
  if (text.length <= 2 * limit + 1) return false;
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Skip the string: on to the next quote not escaped by an odd run of backslashes. indexOf
      // jumps through long strings far faster than a character loop; each backslash is looked at
      // once, so the scan stays linear.
      for (;;) {
        const q = text.indexOf('"', i + 1);
        if (q === -1) return false;
        let b = q - 1;
        while (text.charCodeAt(b) === 0x5c) b--;
        i = q;
        if ((q - 1 - b) % 2 === 0) break;
      }
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

/** A parsed JSON body, or why it was refused: `syntax` (not JSON) or `depth` (nested too deep). */
export type JsonParse =
  | { ok: true; value: unknown }
  | { ok: false; reason: "syntax" | "depth"; message: string };

/**
 * Parses a JSON body, refusing it unparsed when it nests deeper than `maxDepth` (default
 * {@link MAX_JSON_DEPTH}). An empty body is a syntax error here; callers that take none check first.
 */
export function parseJsonLimited(body: string | Buffer, maxDepth: number = MAX_JSON_DEPTH): JsonParse {
  const text = typeof body === "string" ? body : body.toString("utf8");
  if (jsonTextTooDeep(text, maxDepth)) {
    return { ok: false, reason: "depth", message: tooDeepMessage(maxDepth) };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, reason: "syntax", message: (err as Error).message };
  }
}

/** The message of a refusal for depth. */
export function tooDeepMessage(limit: number): string {
  return `the JSON nests deeper than ${limit} levels`;
}
