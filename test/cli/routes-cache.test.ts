import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cacheDir } from "../../src/scan/scan-cache.ts";
import { runFlash } from "../helpers/cli.ts";
import { makeProject } from "../helpers/project.ts";

const API = `import { remote, CpuLiveLoadBalancer } from "runpod-flash";
const api = new CpuLiveLoadBalancer({ workersMax: 1 });
export const list = remote(api, { method: "GET", path: "/items" }, async () => []);
`;

/** `flash routes --json` with the scan cache in `cache`; the printed routes, or the failure. */
async function routes(dir: string, cache: string) {
  const r = await runFlash(["routes", "--json", dir], { env: { FLASH_SCAN_CACHE_DIR: cache } });
  return { ...r, json: r.code === 0 ? (JSON.parse(r.stdout) as { path: string }[]) : undefined };
}

/**
 * Replaces the body of the entry at `path` (as `written`) with `body`, under a digest that matches
 * it: what only Flash, or someone with write access to the user's cache folder, could do.
 */
function rewriteWithValidDigest(path: string, written: string, body: (old: string) => string): void {
  const newline = written.indexOf("\n");
  const next = body(written.slice(newline + 1));
  const digest = createHash("sha256").update(next).digest("hex");
  writeFileSync(path, `${JSON.stringify({ ...JSON.parse(written.slice(0, newline)), digest })}\n${next}`);
}

function entries(cache: string): string[] {
  return existsSync(cache) ? readdirSync(cache).filter((n) => n.endsWith(".json")) : [];
}

describe("flash routes scan cache", () => {
  it("answers a repeated run from the cache and sees every edit, even one that keeps the size", async () => {
    const dir = makeProject({ "api.ts": API });
    const cache = makeProject({});
    const first = await routes(dir, cache);
    expect(first.json?.map((r) => r.path)).toEqual(["/api/items"]);
    expect(entries(cache)).toHaveLength(1);
    const entry = join(cache, entries(cache)[0]!);
    const written = readFileSync(entry, "utf8");

    const second = await routes(dir, cache);
    expect(second.stdout).toBe(first.stdout);
    expect(readFileSync(entry, "utf8")).toBe(written);

    // Proof that a run answers from the entry: one rewritten with a matching digest is believed
    // (only Flash writes there; the key is unchanged because the files are).
    rewriteWithValidDigest(entry, written, (body) => body.replace('"/items"', '"/from-cache"'));
    expect((await routes(dir, cache)).json?.map((r) => r.path)).toEqual(["/api/from-cache"]);

    // Same length, same folder listing: only the bytes differ.
    writeFileSync(join(dir, "api.ts"), API.replace("/items", "/itemz"));
    const edited = await routes(dir, cache);
    expect(edited.json?.map((r) => r.path)).toEqual(["/api/itemz"]);
    expect(readFileSync(entry, "utf8")).not.toBe(written);
  });

  it("ignores an entry whose body was altered, is another project's or was cut short, and writes a good one", async () => {
    const dir = makeProject({ "api.ts": API });
    const cache = makeProject({});
    const first = await routes(dir, cache);
    const entry = join(cache, entries(cache)[0]!);
    const good = readFileSync(entry, "utf8");

    // Still valid JSON, but not what was written: the digest no longer matches.
    writeFileSync(entry, good.replace('"/items"', '"/forged"'));
    const afterForgery = await routes(dir, cache);
    expect(afterForgery.stdout).toBe(first.stdout);
    expect(readFileSync(entry, "utf8")).toBe(good);

    // Intact (its digest matches) but not a scan result of this project.
    rewriteWithValidDigest(entry, good, (body) =>
      JSON.stringify({ ...JSON.parse(body), root: "/elsewhere" }),
    );
    const afterForeign = await routes(dir, cache);
    expect(afterForeign.stdout).toBe(first.stdout);
    expect(readFileSync(entry, "utf8")).toBe(good);

    writeFileSync(entry, good.slice(0, good.length / 2));
    const afterTruncation = await routes(dir, cache);
    expect(afterTruncation.stdout).toBe(first.stdout);
    expect(readFileSync(entry, "utf8")).toBe(good);
  });

  it("prints the scan's warnings on a run answered from the cache too", async () => {
    const dir = makeProject({
      "api.ts": `${API}const hidden = remote(api, { method: "GET", path: "/h" }, async () => 1);\n`,
    });
    const cache = makeProject({});
    const first = await routes(dir, cache);
    expect(first.stderr).toMatch(/api\.ts:4.*hidden is a remote\(\) function but is not exported/);
    expect(entries(cache)).toHaveLength(1);
    const second = await routes(dir, cache);
    expect(second.stderr).toBe(first.stderr);
    expect(second.stdout).toBe(first.stdout);
  });

  it("caches only successful scans: a broken project fails the same way every time", async () => {
    const dir = makeProject({ "api.ts": API.replace("/items", "items") });
    const cache = makeProject({});
    const first = await routes(dir, cache);
    expect(first.code).not.toBe(0);
    expect(first.stderr).toContain("api.ts:3");
    expect(entries(cache)).toEqual([]);
    const second = await routes(dir, cache);
    expect(second.code).toBe(first.code);
    expect(second.stderr).toBe(first.stderr);
  });

  it("still answers when the cache folder cannot be written", async () => {
    const dir = makeProject({ "api.ts": API });
    const blocker = join(makeProject({}), "not-a-folder");
    writeFileSync(blocker, "");
    const r = await routes(dir, blocker);
    expect(r.code).toBe(0);
    expect(r.json?.map((x) => x.path)).toEqual(["/api/items"]);
  });

  it("keeps the cache outside the project, in FLASH_SCAN_CACHE_DIR or the user's cache folder, or nowhere", () => {
    expect(cacheDir({ FLASH_SCAN_CACHE_DIR: "/tmp/c" })).toBe("/tmp/c");
    expect(cacheDir({ XDG_CACHE_HOME: "/home/u/.xdg" })).toBe("/home/u/.xdg/runpod-flash/scan");
    expect(cacheDir({}, "/home/u")).toBe("/home/u/.cache/runpod-flash/scan");
    expect(cacheDir({}, "")).toBeUndefined();
  });
});
