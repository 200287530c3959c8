// Generates the benchmark project: N files, two remote functions each, padded with ordinary code
// to a total size (default 1,000 files, 4 MB, 2,000 remote functions).
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Writes the project under `dir` and returns its shape. */
export async function generateProject(dir, { files = 1000, totalBytes = 4_000_000 } = {}) {
  await rm(dir, { recursive: true, force: true });
  const perFile = Math.floor(totalBytes / files);
  let bytes = 0;
  let functions = 0;
  for (let i = 0; i < files; i++) {
    const folder = join(dir, `group${i % 20}`, `sub${i % 7}`);
    await mkdir(folder, { recursive: true });
    const lb = i % 5 === 4;
    const head = lb
      ? `import { remote, CpuLiveLoadBalancer } from "runpod-flash";\n\nconst api = new CpuLiveLoadBalancer({ workersMax: 2 });\n\n` +
        `export const list${i} = remote(api, { method: "GET", path: "/items" }, async (q: { page?: string }) => ({ page: q.page ?? "1", file: ${i} }));\n\n` +
        `export const create${i} = remote(api, { method: "POST", path: "/items/{id}" }, async (body: { name: string }) => ({ created: body.name }));\n\n`
      : `import { remote, LiveServerless, GpuGroup } from "runpod-flash";\n\nconst gpu = new LiveServerless({ gpus: [GpuGroup.ADA_24, GpuGroup.AMPERE_24], workersMax: 3, idleTimeout: 30 });\n\n` +
        `export const infer${i} = remote(gpu, async (input: { prompt: string }) => {\n  return { result: helper0(input.prompt.length), file: ${i} };\n});\n\n` +
        `export const embed${i} = remote(gpu, { dependencies: ["numjs@0.16.1"] }, async (input: { text: string }) => ({ size: input.text.length }));\n\n`;
    let body = head;
    for (let k = 0; body.length < perFile - 200; k++) {
      body +=
        `/** Ordinary helper ${k}: not a remote function. */\n` +
        `export function helper${k}(n: number): number {\n  const values: number[] = [];\n  for (let j = 0; j < n; j++) values.push(j * ${k + 1});\n` +
        `  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);\n}\n\n`;
    }
    if (!body.includes("function helper0"))
      body += "export function helper0(n: number): number {\n  return n;\n}\n";
    await writeFile(join(folder, `worker_${i}.ts`), body);
    bytes += Buffer.byteLength(body);
    functions += 2;
  }
  return { files, bytes, functions };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] ?? "bench/.work/project";
  const shape = await generateProject(dir);
  console.log(
    `${dir}: ${shape.files} files, ${(shape.bytes / 1e6).toFixed(2)} MB, ${shape.functions} remote functions`,
  );
}
