import { createHash } from "node:crypto";
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { listProjectFiles } from "./files.ts";
import { scanFiles } from "./index.ts";
import type { ScanResult } from "./types.ts";

/** Identity of the scanner's code, set at build time; undefined when running from source (no cache then). */
declare const __FLASH_BUILD_ID__: string | undefined;
const BUILD_ID: string | undefined = typeof __FLASH_BUILD_ID__ === "string" ? __FLASH_BUILD_ID__ : undefined;

/** Scan results kept per cache folder; older ones are removed when a new one is written. */
const KEPT_RESULTS = 50;

/**
 * {@link scanProject} for one-shot commands, with the result kept between runs: a later run on
 * the same files answers from the cache instead of parsing again.
 *
 * The key is everything a scan result depends on: the Flash build, the project root, and the
 * path and bytes of every scanned file (read and hashed, not trusted by modification time, so an
 * edit is always seen). A cache entry is written only by a successful scan and is read back only
 * when its key matches and its body hashes to the digest stored with it, so a truncated or
 * tampered file, or one from another build, is a miss, never a wrong answer. Failures to read or
 * write the cache are misses too: the cache can make a scan faster, never fail it.
 *
 * The folder is `$FLASH_SCAN_CACHE_DIR`, else `$XDG_CACHE_HOME/runpod-flash/scan`, else
 * `~/.cache/runpod-flash/scan`: outside the project, so nothing appears in the user's tree.
 */
export async function scanProjectCached(
  root: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ScanResult> {
  const absRoot = resolve(root);
  const rels = await listProjectFiles(absRoot);
  const bytes = rels.map((rel) => readFileSync(join(absRoot, rel)));
  const scan = () => scanFiles(absRoot, rels, (_rel, i) => bytes[i]!.toString("utf8"));
  if (BUILD_ID === undefined) return scan();
  const key = cacheKey(BUILD_ID, absRoot, rels, bytes);
  const dir = cacheDir(env);
  const file = join(dir, `${createHash("sha256").update(absRoot).digest("hex").slice(0, 32)}.json`);
  const cached = readEntry(file, key);
  if (cached !== undefined) return cached;
  const result = await scan();
  writeEntry(dir, file, key, result);
  return result;
}

/** The cache folder for `env` (see {@link scanProjectCached}). */
export function cacheDir(env: NodeJS.ProcessEnv): string {
  if (env.FLASH_SCAN_CACHE_DIR) return resolve(env.FLASH_SCAN_CACHE_DIR);
  const base = env.XDG_CACHE_HOME || (homedir() ? join(homedir(), ".cache") : tmpdir());
  return join(base, "runpod-flash", "scan");
}

function cacheKey(buildId: string, root: string, rels: readonly string[], bytes: readonly Buffer[]): string {
  const hash = createHash("sha256").update(`${buildId}\0${root}\0${rels.length}\0`);
  const length = Buffer.alloc(4);
  rels.forEach((rel, i) => {
    length.writeUInt32LE(bytes[i]!.length);
    hash.update(rel).update(length).update(bytes[i]!);
  });
  return hash.digest("hex");
}

/** An entry is one header line (`{"key","digest"}`) and the result's JSON. */
function readEntry(file: string, key: string): ScanResult | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const newline = text.indexOf("\n");
  if (newline === -1) return undefined;
  const body = text.slice(newline + 1);
  try {
    const header: unknown = JSON.parse(text.slice(0, newline));
    if (
      typeof header !== "object" ||
      header === null ||
      (header as { key?: unknown }).key !== key ||
      (header as { digest?: unknown }).digest !== digestOf(body)
    )
      return undefined;
    // The body is exactly what this build wrote for these inputs (key and digest match), so its
    // shape is the ScanResult it was serialised from.
    return JSON.parse(body) as ScanResult;
  } catch {
    return undefined;
  }
}

function writeEntry(dir: string, file: string, key: string, result: ScanResult): void {
  try {
    const body = JSON.stringify(result);
    mkdirSync(dir, { recursive: true });
    // Written aside and renamed into place, so a concurrent reader sees the old entry or the new one.
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify({ key, digest: digestOf(body) })}\n${body}`);
    renameSync(temp, file);
    prune(dir);
  } catch {
    // A cache that cannot be written is only a slower next run.
  }
}

function digestOf(body: string): string {
  return createHash("sha256").update(body).digest("hex");
}

/** Keeps the {@link KEPT_RESULTS} most recently written entries. */
function prune(dir: string): void {
  const entries = readdirSync(dir).filter((n) => n.endsWith(".json"));
  if (entries.length <= KEPT_RESULTS) return;
  const byAge = entries
    .map((name) => ({ name, mtime: statSync(join(dir, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const { name } of byAge.slice(KEPT_RESULTS)) unlinkSync(join(dir, name));
}
