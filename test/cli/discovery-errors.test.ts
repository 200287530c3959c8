import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runFlash } from "../helpers/cli.ts";

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "flash-discovery-"));
  dirs.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

const HEADER = 'import { LiveServerless, remote } from "runpod-flash";\n';

describe("discovery tells what is wrong, where, and what to write", () => {
  it("export default remote(...) is an error naming a named export to write, not 'no remote functions found'", async () => {
    const dir = project({
      "my-worker.ts": `${HEADER}const c = new LiveServerless({});\nexport default remote(c, async () => 1);\n`,
    });
    const r = await runFlash(["routes", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error: my-worker.ts:3:16: a remote() function must be a named export");
    expect(r.stderr).toContain("Write `export const my_worker = remote(...)` instead.");
    expect(r.stderr).not.toContain("No remote functions found");
  });

  it("flash routes on a folder that does not exist says so, as a usage error", async () => {
    const r = await runFlash(["routes", "/no/such/dir"]);
    expect(r.stderr).toContain("error: the folder /no/such/dir does not exist");
    expect(r.code).toBe(2);
  });

  it("an endpoint name too long for RunPod (with its live prefix) is an error at the config, with a shorter name", async () => {
    const long = "a".repeat(53);
    const dir = project({
      "gpu.ts": `${HEADER}const c = new LiveServerless({ name: "${long}" });\nexport const f = remote(c, async () => 1);\n`,
    });
    const r = await runFlash(["routes", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: gpu\.ts:2:11: gpu\.ts: endpoint name "a{53}" \(the config's name\) has 53 characters; RunPod allows 64/m,
    );
    expect(r.stderr).toContain('Set a shorter name in the config: name: "gpu".');
    // At the limit it is accepted.
    const ok = project({
      "gpu.ts": `${HEADER}const c = new LiveServerless({ name: "${"a".repeat(52)}" });\nexport const f = remote(c, async () => 1);\n`,
    });
    expect((await runFlash(["routes", ok])).code).toBe(0);
  });

  it("a name derived from a deep path that is too long is reported at the function", async () => {
    const rel = `${"deeply_nested_folder/".repeat(3)}worker.ts`;
    const dir = project({
      [rel]: `${HEADER}const c = new LiveServerless({});\nexport const f = remote(c, async () => 1);\n`,
    });
    const r = await runFlash(["routes", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`(derived from the path ${rel})`);
    expect(r.stderr).toContain('Set a shorter name in the config: name: "worker".');
  });

  it("an unknown config or remote() option suggests the closest valid one", async () => {
    const typo = project({
      "gpu.ts": `${HEADER}const c = new LiveServerless({ workerMax: 2 });\nexport const f = remote(c, async () => 1);\n`,
    });
    const r = await runFlash(["routes", typo]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'error: gpu.ts:2:11: LiveServerless: unknown option "workerMax" (did you mean `workersMax`?)',
    );
    const far = project({
      "gpu.ts": `${HEADER}const c = new LiveServerless({ banana: 2 });\nexport const f = remote(c, async () => 1);\n`,
    });
    expect((await runFlash(["routes", far])).stderr).not.toContain("did you mean");
    const opt = project({
      "api.ts":
        'import { CpuLiveLoadBalancer, remote } from "runpod-flash";\nconst c = new CpuLiveLoadBalancer({});\nexport const f = remote(c, { methd: "GET", path: "/x" }, async () => 1);\n',
    });
    expect((await runFlash(["routes", opt])).stderr).toContain(
      'unknown remote() option "methd" (did you mean `method`?)',
    );
  });
});
