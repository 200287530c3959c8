import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WorkerBundles } from "../../src/dev/worker-bundles.ts";
import { resource, scanOf } from "./fake-scan.ts";

describe("WorkerBundles", () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "flash-bundles-"));
    await writeFile(join(root, "helper.ts"), "export const twice = (n: number) => n * 2;\n");
    await writeFile(
      join(root, "gpu.ts"),
      'import { twice } from "./helper";\nexport const run = (input: { n: number }) => twice(input.n);\n',
    );
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const scan = () => scanOf(root, [resource("gpu.ts", [{ name: "run" }])]);

  it("reuses a bundle whose inputs did not change, and rebuilds when an imported file did", async () => {
    const bundles = new WorkerBundles(root);
    await bundles.refresh(scan());
    const first = await bundles.get("gpu.ts");
    expect([...first.inputs].sort()).toEqual([join(root, "gpu.ts"), join(root, "helper.ts")]);
    expect(first.code).toContain("n * 2");
    // The first rebuild learns the signature; after that an unchanged project reuses the bundle.
    await bundles.refresh(scan());
    const second = await bundles.get("gpu.ts");
    await bundles.refresh(scan());
    expect(await bundles.get("gpu.ts")).toBe(second);

    await writeFile(join(root, "helper.ts"), "export const twice = (n: number) => n * 3;\n");
    await bundles.refresh(scan());
    const changed = await bundles.get("gpu.ts");
    expect(changed.code).toContain("n * 3");
    expect(changed.sha256).not.toBe(second.sha256);
  });

  it("keeps the last good bundle when a rebuild fails, and reports file:line:column", async () => {
    const bundles = new WorkerBundles(root);
    await bundles.refresh(scan());
    const good = await bundles.get("gpu.ts");
    await writeFile(join(root, "helper.ts"), "export const twice = (;\n");
    await expect(bundles.refresh(scan())).rejects.toThrow(/helper\.ts:1:\d+/);
    expect(await bundles.get("gpu.ts")).toBe(good);
  });
});
