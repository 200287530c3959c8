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

  constructor(
    private readonly root: string,
    private readonly onError: (file: string, err: unknown) => void,
  ) {}

  /** Starts bundling every QB file of the scan; forgets files that are gone. */
  refresh(scan: ScanResult): void {
    const files = new Set<string>();
    for (const resource of scan.resources) {
      if (resource.isLoadBalanced) continue;
      files.add(resource.file);
      const external = [...new Set(resource.functions.flatMap((f) => f.dependencies))];
      const current = bundleForWorker({ root: this.root, file: join(this.root, resource.file), external });
      // Avoid an unhandled rejection while nobody awaits it; failures are reported just below.
      current.catch(() => {});
      const previous = this.entries.get(resource.file);
      const entry: Entry = previous ? Object.assign(previous, { current }) : { current };
      current.then(
        (bundle) => {
          entry.lastGood = bundle;
        },
        (err) => {
          if (entry.current === current) this.onError(resource.file, err);
        },
      );
      this.entries.set(resource.file, entry);
    }
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
