import type { WriteStream } from "node:tty";

/**
 * Whether to colour what goes to `stream`: `FORCE_COLOR` (not `0`) says yes, `NO_COLOR` (any
 * value, https://no-color.org) says no, else only a terminal that is not `TERM=dumb`.
 */
export function colourEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0" && env.FORCE_COLOR !== "false") return true;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  return (stream as WriteStream).isTTY === true && env.TERM !== "dumb";
}

const CODES = { bold: [1, 22], red: [31, 39], yellow: [33, 39], cyan: [36, 39], dim: [2, 22] } as const;

export type Style = keyof typeof CODES;

/** `text` in `style` (ANSI SGR) when `on`, else unchanged. */
export function paint(on: boolean, style: Style, text: string): string {
  if (!on) return text;
  const [open, close] = CODES[style];
  return `\u001b[${open}m${text}\u001b[${close}m`;
}

/**
 * Colours the dev server's output by the shape of its lines: the heading, a failed call's line (red;
 * its code frame's marked line too), warnings (yellow). Plain text passes through when `on` is false.
 */
export function paintDevOutput(on: boolean, text: string): string {
  if (!on) return text;
  return text
    .split("\n")
    .map((line) => {
      if (line.startsWith("Flash Dev Server  ")) {
        return line.replace(
          /^(Flash Dev Server)( {2})(\S+)/,
          (_, a, gap, url) => `${paint(on, "bold", a)}${gap}${paint(on, "cyan", url)}`,
        );
      }
      if (line.startsWith("✗ ")) return paint(on, "red", line);
      if (/^ {2}> \d+ \| /.test(line)) return paint(on, "bold", line);
      if (line.startsWith("warning: ")) return `${paint(on, "yellow", "warning:")}${line.slice(8)}`;
      return line;
    })
    .join("\n");
}
