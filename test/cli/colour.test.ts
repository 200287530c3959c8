import { afterEach, describe, expect, it } from "vitest";
import { colourEnabled, paintDevOutput } from "../../src/cli/colour.ts";
import { copyFixture, removeDir, request, runFlash, stopAll } from "../dev/cli-process.ts";

const ESC = "\u001b[";
/** The text without SGR sequences. */
const strip = (text: string) =>
  text
    .split(ESC)
    .map((part, i) => (i === 0 ? part : part.replace(/^\d+m/, "")))
    .join("");

describe("colour", () => {
  it("on a terminal unless NO_COLOR; FORCE_COLOR forces it; never into a pipe or TERM=dumb", () => {
    const tty = { isTTY: true };
    const pipe = { isTTY: false };
    expect(colourEnabled(tty, {})).toBe(true);
    expect(colourEnabled(tty, { NO_COLOR: "1" })).toBe(false);
    expect(colourEnabled(tty, { TERM: "dumb" })).toBe(false);
    expect(colourEnabled(pipe, {})).toBe(false);
    expect(colourEnabled(pipe, { FORCE_COLOR: "1" })).toBe(true);
    expect(colourEnabled(tty, { FORCE_COLOR: "0" })).toBe(true);
    expect(colourEnabled(tty, { FORCE_COLOR: "0", NO_COLOR: "1" })).toBe(false);
  });

  it("off, the output is exactly the plain text", () => {
    const text = "Flash Dev Server  http://x  ready in 3 ms\n✗ POST /a f() failed: x\nwarning: a.ts:1:1: y";
    expect(paintDevOutput(false, text)).toBe(text);
    const on = paintDevOutput(true, text);
    expect(on).toContain(`${ESC}31m✗ POST /a f() failed: x${ESC}39m`);
    expect(strip(on)).toBe(text);
  });
});

describe("flash run output", () => {
  let dir: string | undefined;
  afterEach(async () => {
    await stopAll();
    await removeDir(dir);
  });

  it("says how long it took to be ready; no ANSI escapes into a pipe, coloured with FORCE_COLOR=1", async () => {
    dir = await copyFixture("run-single");
    const plain = runFlash(dir, ["run", "--port", "0", "--no-reload"]);
    const url = await plain.url(60_000);
    expect(plain.stdout).toMatch(/^Flash Dev Server {2}http:\/\/\S+ {2}ready in \d+ ms$/m);
    expect((await request(`${url}/ping`)).status).toBe(200);
    expect(plain.output).not.toContain(ESC);
    await plain.stop();

    const coloured = runFlash(dir, ["run", "--port", "0", "--no-reload"], { FORCE_COLOR: "1" });
    const heading = await coloured.waitFor(/^.*Flash Dev Server.*$/m, 60_000);
    expect(heading[0]).toContain(`${ESC}1mFlash Dev Server${ESC}22m  ${ESC}36mhttp://`);
    expect(strip(heading[0])).toMatch(/^Flash Dev Server {2}http:\/\/\S+ {2}ready in \d+ ms$/);
  }, 120_000);
});
