import { describe, expect, it } from "vitest";
import { isScannedFile, listProjectFiles } from "../../src/scan/files.ts";
import { makeProject } from "../helpers/project.ts";

describe("listProjectFiles", () => {
  it("reads .ts/.mts/.js/.mjs and skips what SPEC 3 skips", async () => {
    const dir = makeProject({
      "a.ts": "",
      "b.mts": "",
      "c.js": "",
      "d.mjs": "",
      "e.cjs": "",
      "types.d.ts": "",
      "types.d.mts": "",
      "a.test.ts": "",
      "a.spec.mjs": "",
      "sub/deep/f.ts": "",
      "node_modules/pkg/index.ts": "",
      "sub/node_modules/pkg/index.ts": "",
      ".flash/server.ts": "",
      ".hidden/x.ts": "",
      "dist/out.js": "",
      "build/out.js": "",
      "README.md": "",
    });
    expect(await listProjectFiles(dir)).toEqual(["a.ts", "b.mts", "c.js", "d.mjs", "sub/deep/f.ts"]);
  });

  it("honours .gitignore (root and nested) and .flashignore", async () => {
    const dir = makeProject({
      ".gitignore": "generated/\n*.gen.ts\n",
      ".flashignore": "scratch.ts\nlegacy/\n",
      "keep.ts": "",
      "x.gen.ts": "",
      "generated/y.ts": "",
      "scratch.ts": "",
      "legacy/old.ts": "",
      "pkg/.gitignore": "local.ts\n",
      "pkg/local.ts": "",
      "pkg/kept.ts": "",
      "other/local.ts": "",
    });
    expect(await listProjectFiles(dir)).toEqual(["keep.ts", "other/local.ts", "pkg/kept.ts"]);
  });

  it.each([
    ["worker.ts", true],
    ["worker.d.ts", false],
    ["worker.test.ts", false],
    ["worker.spec.js", false],
    ["worker.tsx", false],
    ["worker.cjs", false],
  ])("isScannedFile(%s) is %s", (name, expected) => {
    expect(isScannedFile(name)).toBe(expected);
  });
});
