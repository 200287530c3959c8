/**
 * Splits a process's output into lines for the log. Linear in the output's size whatever its shape:
 * the pieces of an unfinished line are kept in an array and joined once, when its newline comes
 * (re-concatenating the rest with every chunk made one newline-less line quadratic), and no line
 * keeps more than {@link MAX_LOG_LINE} characters: the rest is counted and dropped, so a worker that
 * prints 600 MB without a newline costs the log 64 KB, not 600 MB.
 */

/** The most characters of one output line kept for the log. */
export const MAX_LOG_LINE = 64 * 1024;

/** What a line over the limit ends with in the log. */
export function cutNotice(cut: number): string {
  return `…(${cut} characters cut)`;
}

export class LineSplitter {
  private parts: string[] = [];
  private kept = 0;
  private cut = 0;

  constructor(
    private readonly emit: (line: string) => void,
    private readonly max: number = MAX_LOG_LINE,
  ) {}

  /** Takes the next piece of output; emits every line it completes. */
  push(chunk: string): void {
    let start = 0;
    for (let nl = chunk.indexOf("\n", start); nl >= 0; nl = chunk.indexOf("\n", start)) {
      this.keep(chunk, start, nl);
      this.flush();
      start = nl + 1;
    }
    this.keep(chunk, start, chunk.length);
  }

  /** The output ended: emits the last line if it had no newline. */
  end(): void {
    if (this.kept > 0 || this.cut > 0) this.flush();
  }

  private keep(chunk: string, from: number, to: number): void {
    // Once a line is cut, nothing more of it is kept.
    const room = this.cut > 0 ? 0 : this.max - this.kept;
    let take = Math.max(0, Math.min(room, to - from));
    // Never keep half of a surrogate pair: the cut line stays valid UTF-16.
    if (take > 0 && take < to - from && isHighSurrogate(chunk.charCodeAt(from + take - 1))) take--;
    if (take > 0) {
      this.parts.push(chunk.slice(from, from + take));
      this.kept += take;
    }
    this.cut += to - from - take;
  }

  private flush(): void {
    const line = this.parts.join("");
    const cut = this.cut;
    this.parts = [];
    this.kept = 0;
    this.cut = 0;
    this.emit(cut > 0 ? `${line}${cutNotice(cut)}` : line);
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Emits each line of `stream` (utf8) as it completes, through a {@link LineSplitter}. */
export function forwardLines(stream: NodeJS.ReadableStream | null, emit: (line: string) => void): void {
  if (!stream) return;
  const lines = new LineSplitter(emit);
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => lines.push(chunk));
  stream.on("end", () => lines.end());
}
