import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { removeDir, request, runFlash, stopAll } from "../dev/cli-process.ts";
import { runFlash as runFlashToEnd } from "../helpers/cli.ts";

let dirs: string[] = [];
afterEach(async () => {
  await stopAll();
  await Promise.all(dirs.map(removeDir));
  dirs = [];
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "flash-init-"));
  dirs.push(dir);
  return dir;
}

describe("flash init", () => {
  it("scaffolds a project that serves under flash run", async () => {
    const parent = tempDir();
    const r = await runFlashToEnd(["init", "my-app"], { cwd: parent });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("cd my-app");
    expect(r.stdout).toContain("npx flash run");
    const dir = join(parent, "my-app");
    for (const f of [
      "gpu_worker.ts",
      "api/routes.ts",
      "package.json",
      "tsconfig.json",
      ".gitignore",
      "README.md",
    ]) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    expect(JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))).toMatchObject({
      name: "my-app",
      type: "module",
      dependencies: { "runpod-flash": expect.any(String) },
    });
    expect(readFileSync(join(dir, ".gitignore"), "utf8").split("\n")).toContain(".flash/");

    const url = await runFlash(dir, ["run", "--local", "--port", "0", "--no-reload"]).url(60_000);
    const qb = await request(`${url}/gpu_worker/run_sync`, { json: { input: { prompt: "hello flash" } } });
    expect(qb.body).toMatchObject({ status: "COMPLETED", output: { words: 2, shout: "HELLO FLASH" } });
    const lb = await request(`${url}/api/routes/generate`, { json: { prompt: "a b c" } });
    expect(lb.body).toMatchObject({ words: 3, via: "api/routes" });
    expect((await request(`${url}/api/routes/health`)).body).toEqual({ ok: true });
    // flash run added nothing twice to the scaffolded .gitignore
    expect(readFileSync(join(dir, ".gitignore"), "utf8").match(/^\.flash\/$/gm)).toHaveLength(1);
  });

  it("refuses to overwrite existing files and writes nothing", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "gpu_worker.ts"), "// mine\n");
    const r = await runFlashToEnd(["init"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `error: flash init would overwrite gpu_worker.ts in ${dir}; nothing was written.`,
    );
    expect(readFileSync(join(dir, "gpu_worker.ts"), "utf8")).toBe("// mine\n");
    expect(existsSync(join(dir, "package.json"))).toBe(false);
  });
});
