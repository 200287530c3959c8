import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { cutNotice, forwardLines, LineSplitter, MAX_LOG_LINE } from "../../src/emulator/log-lines.ts";

function split(chunks: string[], max?: number): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((l) => lines.push(l), max);
  for (const c of chunks) splitter.push(c);
  splitter.end();
  return lines;
}

describe("LineSplitter", () => {
  it("emits each line once its newline comes, whatever the chunking", () => {
    expect(split(["a\nb", "c\n", "\nd"])).toEqual(["a", "bc", "", "d"]);
    expect(split(["one\ntwo\n"])).toEqual(["one", "two"]);
    expect(split(["x", "y", "z"])).toEqual(["xyz"]);
    expect(split([])).toEqual([]);
  });

  it("keeps the first `max` characters of a long line and says how many it cut", () => {
    expect(split(["abcdefghij\nok\n"], 4)).toEqual([`abcd${cutNotice(6)}`, "ok"]);
    expect(split(["ab", "cd", "ef", "gh\nno"], 3)).toEqual([`abc${cutNotice(5)}`, "no"]);
    // A line exactly at the limit is whole.
    expect(split(["abcd\n"], 4)).toEqual(["abcd"]);
    // A cut never splits a surrogate pair (an emoji is two UTF-16 units).
    expect(split(["ab😀cd\n"], 3)).toEqual([`ab${cutNotice(4)}`]);
    expect(split(["ab😀", "cd\n"], 3)).toEqual([`ab${cutNotice(4)}`]);
    // An unterminated long line is cut too when the output ends.
    expect(split(["abcdef"], 2)).toEqual([`ab${cutNotice(4)}`]);
  });

  it("caps a line at 64 KB by default", () => {
    const [line] = split(["y".repeat(MAX_LOG_LINE + 10), "\n"]);
    expect(line).toBe(`${"y".repeat(MAX_LOG_LINE)}${cutNotice(10)}`);
  });

  // Generous timeout: a quadratic splitter takes minutes for this; the linear one milliseconds.
  it("takes 64 MB without a newline, 64 KB at a time, keeping 64 KB of it", { timeout: 20_000 }, () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((l) => lines.push(l));
    const chunk = "z".repeat(64 * 1024);
    for (let i = 0; i < 1024; i++) splitter.push(chunk);
    splitter.push("\nafter\n");
    expect(lines).toEqual([`${chunk}${cutNotice(64 * 1024 * 1024 - MAX_LOG_LINE)}`, "after"]);
  });
});

describe("forwardLines", () => {
  it("forwards a stream's lines, the last one without a newline too", async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    forwardLines(stream, (l) => lines.push(l));
    stream.write("first\nsec");
    stream.end("ond");
    await new Promise((r) => stream.on("end", r));
    expect(lines).toEqual(["first", "second"]);
  });
});
