import { execFileSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { installDependencies } from "../../src/build/install-dependencies.ts";
import { isFlashError } from "../../src/shared/errors.ts";

const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));
const cacheDir = mkdtempSync(join(tmpdir(), "flash-deps-test-"));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

/**
 * A stand-in for npm laid out like an npm installation (so the cache key sees the real npm's
 * version) that fails and leaves a mark when started: a cache hit must not start it.
 */
function failingNpm(): { npm: string; ran: () => boolean } {
  const root = mkdtempSync(join(cacheDir, "fake-npm-"));
  const version = execFileSync("npm", ["--version"], { encoding: "utf8" }).trim();
  writeFileSync(join(root, "package.json"), JSON.stringify({ name: "npm", version }));
  mkdirSync(join(root, "bin"));
  const npm = join(root, "bin", "npm");
  writeFileSync(npm, `#!/bin/sh\ntouch "${join(root, "ran")}"\necho "fake npm: offline" >&2\nexit 1\n`);
  chmodSync(npm, 0o755);
  return { npm, ran: () => existsSync(join(root, "ran")) };
}

async function failure(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isFlashError(err, "BUILD_FAILED")).toBe(true);
  return err as Error;
}

describe("installDependencies", () => {
  test("installs esbuild with its linux-x64 binary, which runs here; the same list again starts no npm", {
    timeout: 120_000,
  }, async () => {
    const lines: string[] = [];
    // Make npm believe the host is macOS arm64 (what a Mac developer's npm defaults to): the
    // install must still be for linux x64, not for the host.
    const saved = { os: process.env.npm_config_os, cpu: process.env.npm_config_cpu };
    process.env.npm_config_os = "darwin";
    process.env.npm_config_cpu = "arm64";
    const first = await installDependencies(["esbuild@0.28.2"], {
      cacheDir,
      log: (l) => lines.push(l),
    }).finally(() => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[`npm_config_${k}`];
        else process.env[`npm_config_${k}`] = v;
      }
    });
    const nm = first.nodeModules!;
    expect(nm).toBe(join(cacheDir, "deps", nm.split("/").at(-2)!, "node_modules"));
    expect(readdirSync(join(nm, "@esbuild"))).toEqual(["linux-x64"]);
    expect(first.packages).toEqual(["@esbuild/linux-x64@0.28.2", "esbuild@0.28.2"]);
    expect(first.warnings).toEqual([]);
    expect(lines.some((l) => l.includes("installing npm dependencies for linux x64: esbuild@0.28.2"))).toBe(
      true,
    );
    const code = execFileSync(
      process.execPath,
      [
        "-e",
        "process.stdout.write(require('esbuild').transformSync('let a: number = 1', { loader: 'ts' }).code)",
      ],
      { cwd: join(nm, ".."), encoding: "utf8" },
    );
    expect(code).toBe("let a = 1;\n");
    expect(
      execFileSync(join(nm, "esbuild", "bin", "esbuild"), ["--version"], { encoding: "utf8" }).trim(),
    ).toBe("0.28.2");

    const fake = failingNpm();
    const again = await installDependencies(["esbuild@0.28.2", "esbuild@0.28.2"], {
      cacheDir,
      npm: fake.npm,
    });
    expect(again).toEqual(first);
    expect(fake.ran()).toBe(false);
    // The stand-in is really used on a miss, so the check above can fail.
    const err = await failure(installDependencies(["esbuild@0.28.1"], { cacheDir, npm: fake.npm }));
    expect(err.message).toContain("fake npm: offline");
    expect(fake.ran()).toBe(true);
  });

  test("an empty list starts no npm and makes no folder", async () => {
    const fake = failingNpm();
    expect(await installDependencies([], { cacheDir, npm: fake.npm })).toEqual({
      nodeModules: undefined,
      packages: [],
      warnings: [],
    });
    expect(fake.ran()).toBe(false);
  });

  test("a package that does not exist stops the build, naming it with npm's words", {
    timeout: 120_000,
  }, async () => {
    const err = await failure(installDependencies(["flash-no-such-package-zz9-qq@1.0.0"], { cacheDir }));
    expect(err.message).toContain("cannot install flash-no-such-package-zz9-qq@1.0.0 for linux x64");
    expect(err.message).toMatch(/404/);
    expect(readdirSync(join(cacheDir, "deps")).filter((d) => d.includes(".tmp-"))).toEqual([]);
  });

  test("a package that must compile native code at install time stops the build, naming it", {
    timeout: 120_000,
  }, async () => {
    const dir = join(FIXTURES, "deps-native-build");
    const err = await failure(installDependencies([`flash-fixture-native-build@file:${dir}`], { cacheDir }));
    expect(err.message).toContain("flash-fixture-native-build@1.0.0 builds native code at install time");
    expect(err.message).toContain('install script "node-gyp rebuild"');
    expect((err as { hint?: string }).hint).toMatch(
      /prebuilt binaries as optional dependencies.*systemDependencies/,
    );
  });

  test("a native package that ships a prebuilt linux-x64 addon installs", { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "flash-prebuilt-"));
    cpSync(join(FIXTURES, "deps-prebuilt"), dir, { recursive: true });
    mkdirSync(join(dir, "prebuilds", "linux-x64"), { recursive: true });
    // An ELF header for x86-64 (e_machine 0x3E at offset 18): what prebuildify ships.
    const elf = Buffer.alloc(64);
    elf.write("\x7fELF", 0, "latin1");
    elf.writeUInt16LE(0x3e, 18);
    writeFileSync(join(dir, "prebuilds", "linux-x64", "node.napi.node"), elf);
    try {
      const r = await installDependencies([`flash-fixture-prebuilt@file:${dir}`], { cacheDir });
      expect(r.packages).toEqual(["flash-fixture-prebuilt@1.0.0"]);
      expect(
        existsSync(
          join(r.nodeModules!, "flash-fixture-prebuilt", "prebuilds", "linux-x64", "node.napi.node"),
        ),
      ).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a package with a harmless postinstall installs with a warning, its script not run", {
    timeout: 120_000,
  }, async () => {
    const dir = join(FIXTURES, "deps-postinstall");
    const lines: string[] = [];
    const r = await installDependencies([`flash-fixture-postinstall@file:${dir}`], {
      cacheDir,
      log: (l) => lines.push(l),
    });
    expect(r.warnings).toEqual([
      `flash-fixture-postinstall@1.0.0: install script not run (postinstall: node -e "console.log('thanks for installing')")`,
    ]);
    expect(lines).toContain(`warning: ${r.warnings[0]}`);
    const pkg = join(r.nodeModules!, "flash-fixture-postinstall");
    // Copied, not linked to the developer's folder: the artifact must carry it.
    expect(existsSync(join(pkg, "index.js"))).toBe(true);
    expect(
      readdirSync(r.nodeModules!, { withFileTypes: true })
        .find((e) => e.name === "flash-fixture-postinstall")
        ?.isDirectory(),
    ).toBe(true);
    // The warning survives a cache hit.
    const again = await installDependencies([`flash-fixture-postinstall@file:${dir}`], {
      cacheDir,
      npm: failingNpm().npm,
    });
    expect(again.warnings).toEqual(r.warnings);
  });

  test("a spec without a package name is refused before npm runs", async () => {
    const fake = failingNpm();
    const err = await failure(installDependencies(["./lib"], { cacheDir, npm: fake.npm }));
    expect(err.message).toContain('dependency "./lib" does not name an npm package');
    expect(fake.ran()).toBe(false);
  });
});
