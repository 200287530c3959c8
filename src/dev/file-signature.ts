import { stat } from "node:fs/promises";

/** Size and mtime of each file, as one string ("missing" for a file that is gone). */
export async function statSignature(files: readonly string[]): Promise<string> {
  const stats = await statAll(files);
  return stats.map(([file, s]) => (s ? `${file}:${s.size}:${s.mtimeMs}` : `${file}:missing`)).join("|");
}

/**
 * The {@link statSignature} of files a build read, or undefined when one of them changed after
 * `since` (the build's start): then the build may have read an older version, and a signature
 * taken now would hide that, so the next reload must rebuild.
 */
export async function signatureSince(files: readonly string[], since: number): Promise<string | undefined> {
  const stats = await statAll(files);
  if (stats.some(([, s]) => !s || s.mtimeMs >= since)) return undefined;
  return stats.map(([file, s]) => `${file}:${s?.size}:${s?.mtimeMs}`).join("|");
}

async function statAll(files: readonly string[]) {
  return Promise.all(
    [...files].sort().map(async (file) => {
      try {
        return [file, await stat(file)] as const;
      } catch {
        return [file, undefined] as const;
      }
    }),
  );
}
