import { type Dirent, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Ignore } from "ignore";
import { SCANNED_EXTENSIONS } from "./naming.ts";

/** Folders never scanned, wherever they are. Dot-folders are skipped too. */
const SKIPPED_DIRS = new Set(["node_modules", "dist", "build"]);

interface Rules {
  /** Folder (relative, POSIX, "" for the root) the rules are relative to. */
  base: string;
  matcher: Ignore;
}

/**
 * Lists the project files discovery reads, as sorted POSIX paths relative to `root`: `.ts`, `.mts`,
 * `.js`, `.mjs`, minus `node_modules/`, `.flash/`, `dist/`, `build/`, dot-folders, `*.d.ts`,
 * `*.test.*`, `*.spec.*`, and what `.gitignore` files (at any level) and the root `.flashignore`
 * exclude.
 *
 * Folders are read synchronously: a promise per folder costs a thread-pool round trip each, several
 * times the read itself for a tree of small folders. The gitignore matcher loads only for a project
 * that has ignore files.
 */
export async function listProjectFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const rootRules = await loadRules(root, "", [".gitignore", ".flashignore"]);
  await walk(root, "", rootRules ? [rootRules] : [], out);
  return out.sort();
}

async function walk(root: string, rel: string, rules: Rules[], out: string[]): Promise<void> {
  let entries: Dirent[];
  try {
    entries = readdirSync(rel === "" ? root : join(root, rel), { withFileTypes: true });
  } catch {
    return;
  }
  let scoped = rules;
  if (rel !== "" && entries.some((e) => e.name === ".gitignore" && e.isFile())) {
    const nested = await loadRules(root, rel, [".gitignore"]);
    if (nested) scoped = [...rules, nested];
  }
  for (const entry of entries) {
    const name = entry.name;
    const path = rel === "" ? name : `${rel}/${name}`;
    if (entry.isDirectory()) {
      if (name.startsWith(".") || SKIPPED_DIRS.has(name) || isIgnored(scoped, `${path}/`)) continue;
      await walk(root, path, scoped, out);
    } else if (
      (entry.isFile() || entry.isSymbolicLink()) &&
      isScannedFile(name) &&
      !isIgnored(scoped, path)
    ) {
      out.push(path);
    }
  }
}

/** True for a file name discovery reads. */
export function isScannedFile(name: string): boolean {
  if (!SCANNED_EXTENSIONS.some((ext) => name.endsWith(ext))) return false;
  if (/\.d\.m?ts$/.test(name)) return false;
  return !/\.(test|spec)\.[^.]+$/.test(name);
}

async function loadRules(root: string, rel: string, names: string[]): Promise<Rules | undefined> {
  const text = names
    .map((n) => readOptional(join(root, rel, n)))
    .filter((t) => t !== "")
    .join("\n");
  if (text === "") return undefined;
  const { default: ignore } = await import("ignore");
  return { base: rel, matcher: ignore().add(text) };
}

function readOptional(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

function isIgnored(rules: Rules[], path: string): boolean {
  for (const r of rules) {
    const local =
      r.base === "" ? path : path.startsWith(`${r.base}/`) ? path.slice(r.base.length + 1) : undefined;
    if (local !== undefined && local !== "" && r.matcher.ignores(local)) return true;
  }
  return false;
}
