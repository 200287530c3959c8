import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll } from "vitest";

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Writes a project (path → contents) into a fresh temp folder, removed after the test file. */
export function makeProject(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "flash-test-"));
  made.push(dir);
  writeFiles(dir, files);
  return dir;
}

/** Writes files under `dir`, creating folders. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
}

/** The PRD's minimal QB file. */
export const GPU_WORKER = `import { remote, LiveServerless, GpuGroup } from "runpod-flash";

const gpu = new LiveServerless({ name: "gpu_worker", gpus: [GpuGroup.ANY] });

export const process = remote(gpu, async (input: { prompt: string }) => {
  return { result: "processed", input };
});
`;
