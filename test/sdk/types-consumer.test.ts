import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { makeProject } from "../helpers/project.ts";

const REPO = fileURLToPath(new URL("../..", import.meta.url));

describe("published types", () => {
  it("let a consumer's TypeScript infer remote() input and output types", () => {
    execFileSync(process.execPath, [join(REPO, "scripts/types.mjs")], { cwd: REPO, stdio: "pipe" });
    const dir = makeProject({
      "package.json": JSON.stringify({ name: "consumer", type: "module" }),
      "tsconfig.json": JSON.stringify({
        compilerOptions: {
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          target: "ES2022",
          types: [],
        },
      }),
      "worker.ts": `import { remote, LiveServerless, CpuLiveLoadBalancer, GpuGroup, type RequestContext } from "runpod-flash";
const gpu = new LiveServerless({ gpus: [GpuGroup.ADA_24] });
export const embed = remote(gpu, async (input: { text: string }) => ({ length: input.text.length }));
export const out: Promise<{ length: number }> = embed({ text: "x" });
// @ts-expect-error the input type flows from the function
embed({ text: 1 });
export const route = remote(new CpuLiveLoadBalancer(), { method: "GET", path: "/x/{id}" }, async (_q: unknown, ctx: RequestContext) => ctx.params.id);
`,
    });
    mkdirSync(join(dir, "node_modules"));
    symlinkSync(REPO, join(dir, "node_modules", "runpod-flash"));
    const tsc = join(REPO, "node_modules/typescript/bin/tsc");
    const run = () => execFileSync(process.execPath, [tsc, "-p", dir], { encoding: "utf8", stdio: "pipe" });
    expect(run).not.toThrow();
  });
});
