import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, stat, unlink, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import { FlashError } from "./errors.ts";
import { isProcessAlive } from "./process-alive.ts";

/** What a lock file holds: who has the lock, since when. */
export const LockHolder = z.object({ pid: z.number().int(), token: z.string(), since: z.string() });
export type LockHolder = z.infer<typeof LockHolder>;

export interface FileLockOptions {
  /** Called once, before waiting, when another holder (a live process, or this one) has the lock. */
  onWait?: (holder: LockHolder) => void;
  /** Give up after this long with FlashError TIMEOUT; default: wait as long as the holder lives. */
  timeoutMs?: number;
  /** What the lock guards, for the timeout's message (e.g. "the session file"). */
  what?: string;
}

const POLL_MS = 20;
/** A lock file that does not parse is one being removed or a torn write; older than this, it is stale. */
const UNREADABLE_STALE_MS = 5000;

/**
 * Runs `fn` while holding an exclusive lock on `path`, across processes and within this one. The
 * lock is a file created atomically (written aside, then hard-linked into place, which fails if it
 * exists) naming the holder's pid; a lock whose pid is gone (its process was killed) is stale and
 * taken over, so a crash never blocks the project for good. Waiters poll every few ms.
 * @throws FlashError TIMEOUT after `timeoutMs`, naming the holder's pid
 */
export async function withFileLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: FileLockOptions = {},
): Promise<T> {
  const release = await acquireFileLock(path, options);
  try {
    return await fn();
  } finally {
    await release();
  }
}

/** Takes the lock (see {@link withFileLock}); resolves with the function that releases it. */
export async function acquireFileLock(
  path: string,
  options: FileLockOptions = {},
): Promise<() => Promise<void>> {
  await mkdir(dirname(path), { recursive: true });
  const me: LockHolder = { pid: process.pid, token: randomBytes(8).toString("hex"), since: now() };
  const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
  let told = false;
  for (;;) {
    if (await tryCreate(path, me)) {
      return async () => {
        // Only our own lock is removed: a holder judged stale and taken over must not free the next.
        const held = await readHolder(path);
        if (held.holder?.token === me.token) await unlink(path).catch(() => {});
      };
    }
    const held = await readHolder(path);
    if (held.holder && !isProcessAlive(held.holder.pid)) {
      await removeStale(path, held.holder);
      continue;
    }
    if (!held.holder && held.exists && held.ageMs > UNREADABLE_STALE_MS) {
      await removeStale(path, undefined);
      continue;
    }
    if (held.holder && !told) {
      told = true;
      options.onWait?.(held.holder);
    }
    if (Date.now() >= deadline) {
      const by = held.holder ? `process ${held.holder.pid}` : "another process";
      throw new FlashError(
        "TIMEOUT",
        `${options.what ?? path} is locked by ${by} (lock file ${path}); gave up waiting.`,
        { hint: "If that process is stuck, stop it, then try again." },
      );
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Creates the lock file holding `me`, atomically; false if it exists. */
async function tryCreate(path: string, me: LockHolder): Promise<boolean> {
  const tmp = `${path}.${me.pid}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(tmp, JSON.stringify(me));
  try {
    await link(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  } finally {
    await unlink(tmp).catch(() => {});
  }
}

async function readHolder(
  path: string,
): Promise<{ exists: boolean; holder: LockHolder | undefined; ageMs: number }> {
  try {
    const [text, info] = await Promise.all([readFile(path, "utf8"), stat(path)]);
    let holder: LockHolder | undefined;
    try {
      const parsed = LockHolder.safeParse(JSON.parse(text));
      holder = parsed.success ? parsed.data : undefined;
    } catch {
      holder = undefined;
    }
    return { exists: true, holder, ageMs: Date.now() - info.mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT")
      return { exists: false, holder: undefined, ageMs: 0 };
    throw err;
  }
}

/**
 * Removes a stale lock, unless it changed meanwhile. Two waiters can find the same dead holder;
 * without the guard the slower one would remove the lock the faster one has just taken. The guard
 * is itself a lock file, held for a read and an unlink; one left by a process killed in that
 * instant is removed by the next waiter once its pid is gone.
 */
async function removeStale(path: string, stale: LockHolder | undefined): Promise<void> {
  const guard = `${path}.steal`;
  const me: LockHolder = { pid: process.pid, token: randomBytes(8).toString("hex"), since: now() };
  if (!(await tryCreate(guard, me))) {
    const g = await readHolder(guard);
    if ((g.holder && !isProcessAlive(g.holder.pid)) || (!g.holder && g.ageMs > UNREADABLE_STALE_MS)) {
      await unlink(guard).catch(() => {});
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
    return;
  }
  try {
    const held = await readHolder(path);
    const same = stale ? held.holder?.token === stale.token : !held.holder && held.exists;
    if (same) await unlink(path).catch(() => {});
  } finally {
    await unlink(guard).catch(() => {});
  }
}

function now(): string {
  return new Date().toISOString();
}
