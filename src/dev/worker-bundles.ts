import { join } from "node:path";
import type { ScanResult } from "../scan/types.ts";
import { FlashError } from "../shared/errors.ts";
import { bundleForWorker, type WorkerBundle } from "./bundle.ts";

interface Entry {
  current: Promise<WorkerBundle>;
  lastGood?: WorkerBundle;
}

/**
 * The code each QB file ships with its live jobs. Re-bundled on every reload (in the background,
 * so reload stays quick), and a file that fails to bundle keeps shipping its last good bundle.
 */
export class WorkerBundles {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly root: string) {}

  /**
   * Starts bundling every QB file of the scan.
   * @returns resolves when all are built; rejects with the first failure (file:line:column)
   */
  refresh(scan: ScanResult): Promise<void> {
    const builds: Promise<WorkerBundle>[] = [];
    for (const resource of scan.resources) {
      if (resource.isLoadBalanced) continue;
      const external = [...new Set(resource.functions.flatMap((f) => f.dependencies))];
      const current = bundleForWorker({ root: this.root, file: join(this.root, resource.file), external });
      const previous = this.entries.get(resource.file);
      const entry: Entry = previous ? Object.assign(previous, { current }) : { current };
      current.then(
        (bundle) => {
          entry.lastGood = bundle;
        },
        // Failures surface through the promise refresh returns.
        () => {},
      );
      this.entries.set(resource.file, entry);
      builds.push(current);
    }
    const all = Promise.all(builds).then(() => {});
    all.catch(() => {});
    return all;
  }

  /** Forgets the bundles of files that are no longer QB resources (once the scan serves). */
  prune(scan: ScanResult): void {
    const files = new Set(scan.resources.filter((r) => !r.isLoadBalanced).map((r) => r.file));
    for (const file of this.entries.keys()) if (!files.has(file)) this.entries.delete(file);
  }

  /** The bundle to ship for `file`: the newest one, or the last good one if the newest failed. */
  async get(file: string): Promise<WorkerBundle> {
    const entry = this.entries.get(file);
    if (!entry) throw new FlashError("INTERNAL", `no QB resource in ${file}.`);
    try {
      return await entry.current;
    } catch (err) {
      if (entry.lastGood) return entry.lastGood;
      throw err;
    }
  }

  /** Waits for every bundle in flight (for benchmarks and tests). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.entries.values()].map((e) => e.current));
  }
}
