import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { ScanResult } from "../scan/types.ts";
import { getRemoteMeta } from "../sdk/remote.ts";
import { FlashError, isFlashError } from "../shared/errors.ts";
import { isProcessAlive } from "../shared/process-alive.ts";
import { bundleForDevServer } from "./bundle.ts";
import { projectFrameOf } from "./error-location.ts";
import { signatureSince, statSignature } from "./file-signature.ts";
import type { LbHandlerFn } from "./lb-call.ts";

/** Generations of dev bundles kept on disk: the current one and the one before (still in use by requests in flight). */
const KEEP_GENERATIONS = 2;

/**
 * Where this process writes its dev bundles: `.flash/dev/<pid>/`, so two sessions in one project
 * never write over each other's files.
 */
export function devBundleDir(root: string): string {
  return join(root, ".flash", "dev", String(process.pid));
}

/** Removes the dev bundles of processes that are gone (earlier sessions of this project). */
export async function removeStaleDevBundles(root: string): Promise<void> {
  const dir = join(root, ".flash", "dev");
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  await Promise.all(
    names
      .filter((name) => !/^\d+$/.test(name) || !isProcessAlive(Number(name)))
      .map((name) => rm(join(dir, name), { recursive: true, force: true })),
  );
}

/** Key of an LB handler in the map {@link loadLbHandlers} returns. */
export function lbKey(file: string, fn: string): string {
  return `${file}#${fn}`;
}

/** The LB modules of one generation: their handlers, and what they were built from. */
export interface LoadedLbModules {
  handlers: Map<string, LbHandlerFn>;
  /** Project files the bundle was built from (absolute). */
  inputs: string[];
  /** The LB entries it was built for. */
  key: string;
  /** Size and mtime of the inputs as built; undefined forces a rebuild. */
  signature: string | undefined;
}

/**
 * Bundles and imports the project's LB files afresh (a new folder per generation, so Node's module
 * cache never serves stale code) and returns their handlers by {@link lbKey}. When `previous` was
 * built for the same files and none of its inputs changed since, it is returned as it is: a
 * reload caused by a QB-only edit does not re-import (and re-run the top level of) LB modules.
 * @throws FlashError BUILD_FAILED naming file:line when a file fails to bundle or throws at import
 */
export async function loadLbHandlers(options: {
  root: string;
  scan: ScanResult;
  generation: number;
  sdkEntry: string;
  previous?: LoadedLbModules;
}): Promise<LoadedLbModules> {
  const { root, scan, previous } = options;
  const lb = scan.resources.filter((r) => r.isLoadBalanced);
  const qb = scan.resources.filter((r) => !r.isLoadBalanced);
  // Which QB files exist does not matter by itself: an LB file starts importing one only by changing.
  const key = JSON.stringify(lb.map((r) => [r.resourceName, r.file]));
  if (previous?.signature !== undefined && previous.key === key) {
    if ((await statSignature(previous.inputs)) === previous.signature) return previous;
  }
  const startedAt = Date.now();
  const handlers = new Map<string, LbHandlerFn>();
  if (lb.length === 0) return { handlers, inputs: [], key, signature: undefined };
  const devDir = devBundleDir(root);
  const outDir = join(devDir, `g${options.generation}`);
  const qbFiles = new Map(qb.map((r) => [join(root, r.file), r.file] as const));
  const { outputs, inputs } = await bundleForDevServer({
    root,
    entries: Object.fromEntries(lb.map((r) => [r.resourceName, join(root, r.file)])),
    outDir,
    sdkEntry: options.sdkEntry,
    qbFiles,
  });
  for (const resource of lb) {
    let namespace: Record<string, unknown>;
    try {
      namespace = await import(pathToFileURL(outputs[resource.resourceName] as string).href);
    } catch (err) {
      if (isFlashError(err)) throw err;
      const at = projectFrameOf(err, root) ?? resource.file;
      throw new FlashError("BUILD_FAILED", `${at}: ${resource.file} threw while loading: ${messageOf(err)}`, {
        cause: err,
      });
    }
    for (const fn of resource.functions) {
      const value = namespace[fn.name];
      const handler = getRemoteMeta(value)?.fn ?? value;
      if (typeof handler !== "function") {
        throw new FlashError(
          "SCAN_INVALID",
          `${resource.file}:${fn.at.line}: export ${fn.name} is not a function once loaded.`,
        );
      }
      handlers.set(lbKey(resource.file, fn.name), handler as LbHandlerFn);
    }
  }
  void pruneGenerations(devDir, options.generation);
  return { handlers, inputs, key, signature: await signatureSince(inputs, startedAt) };
}

async function pruneGenerations(devDir: string, current: number): Promise<void> {
  try {
    for (const name of await readdir(devDir)) {
      const n = /^g(\d+)$/.exec(name)?.[1];
      if (n !== undefined && Number(n) <= current - KEEP_GENERATIONS) {
        await rm(join(devDir, name), { recursive: true, force: true });
      }
    }
  } catch {
    // Pruning is housekeeping; a failure leaves files in the gitignored .flash/ folder only.
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
