import { readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Lines of source shown above and below the failing line. */
const CONTEXT = 2;

/**
 * The first frame of `stack` in the project's own files (not its node_modules, not .flash/), as
 * path relative to `root` with line and column.
 */
export function projectFrameOfStack(
  stack: string,
  root: string,
): { file: string; line: number; column: number } | undefined {
  for (const match of stack.matchAll(/\(?((?:file:\/\/)?\/[^():\s]+):(\d+):(\d+)\)?/g)) {
    const raw = match[1] as string;
    const file = relative(root, raw.startsWith("file://") ? fileURLToPath(raw) : raw);
    if (file.startsWith("..") || file.startsWith(".flash/") || file.includes("node_modules/")) continue;
    return { file, line: Number(match[2]), column: Number(match[3]) };
  }
  return undefined;
}

/**
 * A few lines of `file` around `line`, numbered, with a caret under `column` (as Vite and Babel
 * show them). Empty when the file cannot be read (deleted since).
 */
export function codeFrame(path: string, line: number, column: number): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return "";
  }
  const lines = text.split(/\r?\n/);
  if (line < 1 || line > lines.length) return "";
  const first = Math.max(1, line - CONTEXT);
  const last = Math.min(lines.length, line + CONTEXT);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const mark = n === line ? ">" : " ";
    out.push(`  ${mark} ${String(n).padStart(width)} | ${lines[n - 1]}`.trimEnd());
    if (n === line) {
      // Tabs stay tabs so the caret lines up under them.
      const lead = (lines[n - 1] ?? "").slice(0, Math.max(0, column - 1)).replace(/[^\t]/g, " ");
      out.push(`    ${" ".repeat(width)} | ${lead}^`);
    }
  }
  return out.join("\n");
}

/**
 * What the `flash run` terminal shows for a failed call: one line naming the route, the function,
 * the message and the user's file:line, then the code frame of that line.
 */
export function failureReport(o: {
  method: string;
  path: string;
  fn: string;
  message: string;
  stack: string | undefined;
  root: string;
}): string {
  const at = o.stack ? projectFrameOfStack(o.stack, o.root) : undefined;
  const where = at ? ` (${at.file}:${at.line}:${at.column})` : "";
  const head = `✗ ${o.method} ${o.path} ${o.fn}() failed: ${firstLine(o.message)}${where}`;
  const frame = at ? codeFrame(resolve(o.root, at.file), at.line, at.column) : "";
  return frame ? `${head}\n${frame}` : head;
}

function firstLine(text: string): string {
  const nl = text.indexOf("\n");
  return nl === -1 ? text : `${text.slice(0, nl)} …`;
}
