import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterEach, beforeAll, describe, expect, test } from "vitest";
import { acquireFileLock, withFileLock } from "../../src/shared/file-lock.ts";
import { makeProject } from "../helpers/project.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
let dir: string;
let moduleFile: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  dir = makeProject({});
  // The lock module as plain ESM, so separate node processes can take the same lock.
  moduleFile = join(dir, "file-lock.mjs");
  await build({
    absWorkingDir: root,
    entryPoints: [join(root, "src/shared/file-lock.ts")],
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    outfile: moduleFile,
    logLevel: "silent",
  });
});

afterEach(() => {
  for (const c of children) c.kill("SIGKILL");
  children.clear();
});

/** A node process that adds 1 to `counter` `times` times, each read-modify-write under the lock. */
function incrementer(counter: string, times: number): Promise<number | null> {
  const script = `
    import { readFile, writeFile } from "node:fs/promises";
    import { withFileLock } from ${JSON.stringify(moduleFile)};
    for (let i = 0; i < ${times}; i++) {
      await withFileLock(${JSON.stringify(`${counter}.lock`)}, async () => {
        const n = Number(await readFile(${JSON.stringify(counter)}, "utf8"));
        await new Promise((r) => setTimeout(r, 1));
        await writeFile(${JSON.stringify(counter)}, String(n + 1));
      });
    }`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: "inherit" });
  children.add(child);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  return Number(r.stdout.toString());
}

describe("withFileLock", () => {
  test("processes doing read-modify-write under one lock lose no update", async () => {
    const counter = join(dir, "counter");
    writeFileSync(counter, "0");
    const codes = await Promise.all(Array.from({ length: 6 }, () => incrementer(counter, 15)));
    expect(codes).toEqual([0, 0, 0, 0, 0, 0]);
    expect(readFileSync(counter, "utf8")).toBe("90");
    expect(existsSync(`${counter}.lock`)).toBe(false);
  });

  test("callers in one process take turns", async () => {
    const order: string[] = [];
    const lock = join(dir, "turns.lock");
    await Promise.all(
      ["a", "b", "c"].map((name) =>
        withFileLock(lock, async () => {
          order.push(`${name}+`);
          await new Promise((r) => setTimeout(r, 20));
          order.push(`${name}-`);
        }),
      ),
    );
    // Never two inside at once: every entry is followed by its own exit.
    for (let i = 0; i < order.length; i += 2) expect(order[i + 1]).toBe(order[i]!.replace("+", "-"));
  });

  test("a lock left by a killed process is taken over at once", async () => {
    const lock = join(dir, "stale.lock");
    const pid = deadPid();
    writeFileSync(lock, JSON.stringify({ pid, token: "t", since: new Date().toISOString() }));
    let waited = false;
    const result = await withFileLock(lock, async () => "ran", { onWait: () => (waited = true) });
    expect(result).toBe("ran");
    expect(waited).toBe(false);
    expect(existsSync(lock)).toBe(false);
  });

  test("a waiter is told who holds the lock, gets it once released, or gives up naming the holder", async () => {
    const lock = join(dir, "held.lock");
    const release = await acquireFileLock(lock);
    await expect(
      withFileLock(lock, async () => 1, { timeoutMs: 100, what: "the thing" }),
    ).rejects.toMatchObject({
      code: "TIMEOUT",
      message: expect.stringContaining(`the thing is locked by process ${process.pid}`),
    });
    const holders: number[] = [];
    const waiting = withFileLock(lock, async () => "mine", { onWait: (h) => holders.push(h.pid) });
    await new Promise((r) => setTimeout(r, 100));
    await release();
    expect(await waiting).toBe("mine");
    expect(holders).toEqual([process.pid]);
  });
});
