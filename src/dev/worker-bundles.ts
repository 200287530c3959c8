import { join } from "node:path";
import type { ScanResult } from "../scan/types.ts";
import { FlashError } from "../shared/errors.ts";
import { bundleForWorker, type WorkerBundle } from "./bundle.ts";
import { signatureSince, statSignature } from "./file-signature.ts";

interface Entry {
  current: Promise<WorkerBundle>;
  lastGood?: WorkerBundle;
  /** Size and mtime of lastGood's inputs as built; undefined forces a rebuild. */
  signature?: string;
  /** The externals it was built with. */
  externalKey?: string;
}

/**
 * The code each QB file ships with its live jobs. Rebuilt on reload when one of the project files
 * it was built from changed (a reload caused by another file reuses it), and a file that fails to
 * bundle keeps shipping its last good bundle.
 */
export class WorkerBundles {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly root: string) {}

  /**
   * Brings the bundle of every QB file of the scan up to date.
   * @returns resolves when all are built; rejects with the first failure (file:line:column)
   */
  refresh(scan: ScanResult): Promise<void> {
    const builds: Promise<WorkerBundle>[] = [];
    for (const resource of scan.resources) {
      if (resource.isLoadBalanced) continue;
      const external = [...new Set(resource.functions.flatMap((f) => f.dependencies))].sort();
      const previous = this.entries.get(resource.file);
      const entry: Entry = previous ?? { current: Promise.resolve(undefined as never) };
      const current = this.build(entry, join(this.root, resource.file), external);
      entry.current = current;
      // Failures surface through the promise refresh returns.
      current.catch(() => {});
      this.entries.set(resource.file, entry);
      builds.push(current);
    }
    const all = Promise.all(builds).then(() => {});
    all.catch(() => {});
    return all;
  }

  private async build(entry: Entry, file: string, external: string[]): Promise<WorkerBundle> {
    const externalKey = external.join(",");
    const known = entry.lastGood;
    if (known && entry.externalKey === externalKey && entry.signature !== undefined) {
      if ((await statSignature(known.inputs)) === entry.signature) return known;
    }
    const startedAt = Date.now();
    const bundle = await bundleForWorker({ root: this.root, file, external });
    entry.lastGood = bundle;
    entry.externalKey = externalKey;
    entry.signature = await signatureSince(bundle.inputs, startedAt);
    return bundle;
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
}
