import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, sep } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { scaffoldFiles } from "../../src/init/scaffold.ts";
import { REPO, removeDir, request, runFlash, stopAll } from "../dev/cli-process.ts";
import { runFlash as runFlashToEnd } from "../helpers/cli.ts";

let dirs: string[] = [];
afterEach(async () => {
  await stopAll();
  await Promise.all(dirs.map(removeDir));
  dirs = [];
});

/** Makes `runpod-flash` (this repository; its types built by the global setup) resolve in `dir`, as `npm install` would. */
function linkPackage(dir: string): void {
  mkdirSync(join(dir, "node_modules"), { recursive: true });
  symlinkSync(REPO, join(dir, "node_modules", "runpod-flash"), "junction");
}

/** Runs the repository's TypeScript over the project in `dir`. */
function typecheck(dir: string): { code: number | null; output: string } {
  const r = spawnSync(
    process.execPath,
    [join(REPO, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", dir],
    {
      encoding: "utf8",
      timeout: 120_000,
    },
  );
  return { code: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

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
      // `npx tsc` must find TypeScript, not fetch the unrelated `tsc` package.
      devDependencies: { typescript: expect.stringMatching(/^\^5\./) },
      scripts: expect.objectContaining({ typecheck: "tsc --noEmit" }),
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

  it("adds what Flash needs to an existing project without changing the user's files", async () => {
    const dir = tempDir();
    const pkg = {
      name: "shop",
      version: "1.2.3",
      scripts: { dev: "vite", test: "vitest" },
      dependencies: { zod: "^4.0.0" },
    };
    writeFileSync(join(dir, "package.json"), `${JSON.stringify(pkg, null, 4)}\n`);
    writeFileSync(join(dir, "README.md"), "# shop\n");
    writeFileSync(join(dir, ".gitignore"), "/node_modules\ndist/");
    const r = await runFlashToEnd(["init"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Added Flash to the project in ${dir}:`);
    expect(r.stdout).toMatch(/created +gpu_worker\.ts/);
    expect(r.stdout).toMatch(/updated +package\.json/);
    expect(r.stdout).toMatch(/kept +README\.md/);

    const text = readFileSync(join(dir, "package.json"), "utf8");
    expect(text).toMatch(/^ {4}"name": "shop",$/m); // the user's indentation
    expect(JSON.parse(text)).toEqual({
      name: "shop",
      version: "1.2.3",
      // the user's dev script is theirs; the scripts they lacked are added
      scripts: {
        dev: "vite",
        test: "vitest",
        routes: "flash routes",
        build: "flash build",
        deploy: "flash deploy",
        typecheck: "tsc --noEmit",
      },
      dependencies: { zod: "^4.0.0", "runpod-flash": expect.stringMatching(/^(\^|\*)/) },
      devDependencies: { typescript: "^5.9.0" },
    });
    expect(readFileSync(join(dir, "README.md"), "utf8")).toBe("# shop\n");
    expect(readFileSync(join(dir, ".gitignore"), "utf8")).toBe("/node_modules\ndist/\n.flash/\n.env\n");
    expect(existsSync(join(dir, "api", "routes.ts"))).toBe(true);

    // A second run changes nothing.
    const again = await runFlashToEnd(["init"], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stdout).not.toMatch(/created|updated/);
    expect(readFileSync(join(dir, "package.json"), "utf8")).toBe(text);
  });

  it("keeps an existing worker file, and does not write the route that would import a different one", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "gpu_worker.ts"), "// mine\n");
    const r = await runFlashToEnd(["init"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, "gpu_worker.ts"), "utf8")).toBe("// mine\n");
    expect(existsSync(join(dir, "api", "routes.ts"))).toBe(false);
    expect(existsSync(join(dir, "package.json"))).toBe(true);
  });

  it("a package.json that is not JSON is named, and nothing is written", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "package.json"), "{ name: shop }");
    const r = await runFlashToEnd(["init"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(dir, "package.json")} is not valid JSON`);
    expect(existsSync(join(dir, "gpu_worker.ts"))).toBe(false);
    expect(readFileSync(join(dir, "package.json"), "utf8")).toBe("{ name: shop }");
  });

  it("the generated project passes tsc --noEmit as generated", async () => {
    const parent = tempDir();
    expect((await runFlashToEnd(["init", "typed"], { cwd: parent })).code).toBe(0);
    const dir = join(parent, "typed");
    linkPackage(dir);
    const tsc = typecheck(dir);
    expect(tsc.output).toBe("");
    expect(tsc.code).toBe(0);
  });

  it("the package offers a runpod-flash bin (npx runpod-flash init) beside flash", async () => {
    const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as {
      bin: Record<string, string>;
    };
    expect(pkg.bin["runpod-flash"]).toBe(pkg.bin.flash);
    const parent = tempDir();
    const r = await runFlashToEnd(["init", "via-npx"], {
      cwd: parent,
      bin: join(REPO, pkg.bin["runpod-flash"]!),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(parent, "via-npx", "gpu_worker.ts"))).toBe(true);
  });
});

describe("examples", () => {
  it("pass tsc --noEmit with the scaffold's tsconfig", async () => {
    const dir = tempDir();
    cpSync(join(REPO, "examples"), dir, { recursive: true, filter: (src) => !src.includes(`${sep}.flash`) });
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({ name: "examples", private: true, type: "module" }),
    );
    writeFileSync(join(dir, "tsconfig.json"), scaffoldFiles("examples", "dev")["tsconfig.json"]!);
    linkPackage(dir);
    const tsc = typecheck(dir);
    // 05_dependencies imports slugify, which its config has the worker install; here it is not installed.
    const errors = tsc.output
      .split("\n")
      .filter((line) => line && !line.includes("Cannot find module 'slugify'"));
    expect(errors).toEqual([]);
  });
});
