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
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { listProjectFiles } from "./files.ts";
import { scanFiles } from "./index.ts";
import { readPathAliases } from "./path-aliases.ts";
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
 * The key is everything a scan result depends on: the Flash build, the installed oxc-parser, the
 * project root, and the path and bytes of every scanned file (read and hashed, not trusted by
 * modification time, so an edit is always seen). An entry is written only by a successful scan and
 * is read back only when its key matches, its body hashes to the digest stored with it (so a
 * truncated or half-written entry is a miss) and its body has the result's shape for this root.
 * The digest guards against corruption, not against someone who can write the user's cache folder
 * (they could as well change the user's code). Failures to read or write the cache are misses: the
 * cache can make a scan faster, never fail it.
 *
 * The folder is `$FLASH_SCAN_CACHE_DIR`, else `$XDG_CACHE_HOME/runpod-flash/scan`, else
 * `~/.cache/runpod-flash/scan`: the user's own, outside the project, so nothing appears in the
 * user's tree. With none of those (no home folder), nothing is cached: a shared temp folder is not
 * a place to take scan results from.
 */
export async function scanProjectCached(
  root: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ScanResult> {
  const absRoot = resolve(root);
  const rels = await listProjectFiles(absRoot);
  const bytes = rels.map((rel) => readFileSync(join(absRoot, rel)));
  const scan = () => scanFiles(absRoot, rels, (_rel, i) => bytes[i]!.toString("utf8"));
  const dir = cacheDir(env);
  if (BUILD_ID === undefined || dir === undefined) return scan();
  // Import resolution reads tsconfig `paths`, which are not among the scanned files.
  const aliases = JSON.stringify(readPathAliases(absRoot));
  const key = cacheKey(`${BUILD_ID}\0${oxcVersion()}\0${aliases}`, absRoot, rels, bytes);
  const file = join(dir, `${createHash("sha256").update(absRoot).digest("hex").slice(0, 32)}.json`);
  const cached = readEntry(file, key, absRoot, rels.length);
  if (cached !== undefined) return cached;
  const result = await scan();
  writeEntry(dir, file, key, result);
  return result;
}

/** The cache folder for `env` (see {@link scanProjectCached}); undefined when there is none to use. */
export function cacheDir(env: NodeJS.ProcessEnv, home: string = homeOrNothing()): string | undefined {
  if (env.FLASH_SCAN_CACHE_DIR) return resolve(env.FLASH_SCAN_CACHE_DIR);
  const base = env.XDG_CACHE_HOME || (home ? join(home, ".cache") : undefined);
  return base === undefined ? undefined : join(base, "runpod-flash", "scan");
}

/** The user's home folder, or "" where there is none (os.homedir throws when it cannot tell). */
function homeOrNothing(): string {
  try {
    return homedir();
  } catch {
    return "";
  }
}

/** The installed oxc-parser's version: it parses the files the quick parser declines. */
function oxcVersion(): string {
  try {
    return (createRequire(import.meta.url)("oxc-parser/package.json") as { version: string }).version;
  } catch {
    return "unknown";
  }
}

function cacheKey(buildId: string, root: string, rels: readonly string[], bytes: readonly Buffer[]): string {
  const hash = createHash("sha256").update(`${buildId}\0${root}\0${rels.length}\0`);
  const length = Buffer.alloc(4);
  rels.forEach((rel, i) => {
    length.writeUInt32LE(bytes[i]!.length);
    hash.update(`${rel}\0`).update(length).update(bytes[i]!);
  });
  return hash.digest("hex");
}

/** An entry is one header line (`{"key","digest"}`) and the result's JSON. */
function readEntry(file: string, key: string, root: string, filesScanned: number): ScanResult | undefined {
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
    const result: unknown = JSON.parse(body);
    return isScanResult(result, root, filesScanned) ? result : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The shape check of an entry's body. The key and digest already tie the body to what this build
 * wrote for these very files, so this checks the frame (root, counts, arrays), not every field: a
 * schema library would cost a cold command more to load (≈ 85 ms for zod) than the cache saves.
 */
function isScanResult(value: unknown, root: string, filesScanned: number): value is ScanResult {
  if (typeof value !== "object" || value === null) return false;
  const r = value as Partial<Record<keyof ScanResult, unknown>>;
  return (
    r.root === root &&
    r.filesScanned === filesScanned &&
    Array.isArray(r.warnings) &&
    Array.isArray(r.resources) &&
    r.resources.every(
      (x: unknown) =>
        typeof x === "object" &&
        x !== null &&
        typeof (x as { file?: unknown }).file === "string" &&
        Array.isArray((x as { functions?: unknown }).functions),
    )
  );
}

function writeEntry(dir: string, file: string, key: string, result: ScanResult): void {
  // Written aside and renamed into place, so a concurrent reader sees the old entry or the new one.
  const temp = `${file}.${process.pid}.tmp`;
  try {
    const body = JSON.stringify(result);
    mkdirSync(dir, { recursive: true });
    writeFileSync(temp, `${JSON.stringify({ key, digest: digestOf(body) })}\n${body}`);
    renameSync(temp, file);
    prune(dir);
  } catch {
    // A cache that cannot be written is only a slower next run.
    try {
      unlinkSync(temp);
    } catch {
      // Never written.
    }
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
