import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FlashProcess, REPO, request } from "../dev/cli-process.ts";

let proc: FlashProcess | undefined;
afterEach(async () => {
  await proc?.stop();
  proc = undefined;
});

/** The shell lines of the README's quick start, as written. */
function quickStart(): string[] {
  const readme = readFileSync(join(REPO, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Quick start"));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  return block
    .split("\n")
    .map((l) => l.replace(/\s+#.*$/, "").trim())
    .filter(Boolean);
}

describe("README quick start", () => {
  it("has two commands: one serves an example, one runs the tests", () => {
    const lines = quickStart();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^npm ci && node bin\/flash\.js run examples\/\S+$/);
    expect(lines[1]).toBe("npm test");
  });

  it("the first command serves the example on the embedded emulator, as documented", async () => {
    // `npm ci` has run (it is how the test suite got here); run the rest of the line as written.
    const command = quickStart()[0]!.split("&&")[1]!.trim();
    const env = { ...process.env };
    delete env.RUNPOD_API_KEY;
    delete env.RUNPOD_API_URL;
    proc = new FlashProcess(
      spawn("sh", ["-c", `exec ${command}`], { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"] }),
    );
    const url = await proc.url(60_000);
    expect(proc.stdout).toMatch(/QB functions execute on: .*local/i);
    const readme = readFileSync(join(REPO, "README.md"), "utf8");
    const curl = /`curl -s localhost:8888(\S+) -H 'content-type: application\/json' -d '([^']+)'`/.exec(
      readme,
    )!;
    const r = await request(`${url}${curl[1]}`, { json: JSON.parse(curl[2]!) });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ tokens: ["hello", "flash"], dims: 8 });
    expect(await proc.stop()).toBe(0);
  });
});
