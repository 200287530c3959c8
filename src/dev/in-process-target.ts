import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { getRemoteMeta } from "../sdk/remote.ts";
import { FlashError } from "../shared/errors.ts";
import type { ExecutionTarget, QbJob } from "./execution.ts";

/**
 * Runs QB functions inside the dev server process, through JSON as a worker would. No isolation:
 * used by tests of the HTTP layer and as the fallback when no worker target can be started.
 */
export class InProcessTarget implements ExecutionTarget {
  readonly executesOn = "this process (in-process)";
  private readonly modules = new Map<string, Promise<Record<string, unknown>>>();

  constructor(
    private readonly root: string,
    private readonly sdkEntry: string,
  ) {}

  async run(job: QbJob): Promise<unknown> {
    const namespace = await this.load(job);
    const value = namespace[job.functionName];
    const fn = getRemoteMeta(value)?.fn ?? value;
    if (typeof fn !== "function") {
      throw new FlashError("CONFIG_INVALID", `${job.resource.file} has no function ${job.functionName}.`);
    }
    const output = await fn(JSON.parse(JSON.stringify(job.input ?? null)));
    return output === undefined ? null : JSON.parse(JSON.stringify(output));
  }

  private load(job: QbJob): Promise<Record<string, unknown>> {
    const key = job.bundle.sha256;
    let loading = this.modules.get(key);
    if (!loading) {
      loading = this.importBundle(job);
      this.modules.set(key, loading);
      loading.catch(() => this.modules.delete(key));
    }
    return loading;
  }

  /**
   * Imports the very bundle a worker would get (not the file, which may have changed or broken
   * since), with its `runpod-flash` import pointed at the CLI's copy as a worker links its own.
   */
  private async importBundle(job: QbJob): Promise<Record<string, unknown>> {
    const dir = join(this.root, ".flash", "dev", "in-process");
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${job.bundle.sha256}.mjs`);
    const sdk = JSON.stringify(pathToFileURL(this.sdkEntry).href);
    await writeFile(file, job.bundle.code.replace(/from\s*"runpod-flash"/g, `from ${sdk}`));
    return import(pathToFileURL(file).href);
  }

  async close(): Promise<string[]> {
    return [];
  }
}
