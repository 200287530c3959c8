import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ensureGitignored } from "../../src/dev/gitignore.ts";

describe("ensureGitignored", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "flash-gitignore-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("creates .gitignore when missing", async () => {
    expect(await ensureGitignored(dir)).toBe(true);
    expect(await readFile(join(dir, ".gitignore"), "utf8")).toBe(".flash/\n");
  });

  it("appends once, adding the missing newline, and never duplicates", async () => {
    await writeFile(join(dir, ".gitignore"), "node_modules/\n# keep .flash/ out\ndist");
    expect(await ensureGitignored(dir)).toBe(true);
    expect(await ensureGitignored(dir)).toBe(false);
    expect(await readFile(join(dir, ".gitignore"), "utf8")).toBe(
      "node_modules/\n# keep .flash/ out\ndist\n.flash/\n",
    );
  });

  it("accepts an existing /.flash line", async () => {
    await writeFile(join(dir, ".gitignore"), "/.flash\n");
    expect(await ensureGitignored(dir)).toBe(false);
  });
});
