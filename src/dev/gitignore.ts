import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Lines that already keep `.flash/` out of git (with or without the root anchor or slash). */
const COVERING = new Set([".flash/", ".flash", "/.flash/", "/.flash", ".flash/*", "/.flash/*"]);

/**
 * Adds `.flash/` to the project's `.gitignore` unless a line already covers it, creating the file
 * when missing. Line-based (not substring, as Python Flash does), so `.flash/keep` or a comment
 * mentioning `.flash/` does not count, and the line is never added twice.
 * @returns true when the file was created or changed
 */
export async function ensureGitignored(root: string): Promise<boolean> {
  const file = join(root, ".gitignore");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    await writeFile(file, ".flash/\n");
    return true;
  }
  const covered = text.split(/\r?\n/).some((line) => COVERING.has(line.trim()));
  if (covered) return false;
  const separator = text === "" || text.endsWith("\n") ? "" : "\n";
  await writeFile(file, `${text}${separator}.flash/\n`);
  return true;
}
