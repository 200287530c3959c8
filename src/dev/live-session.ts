import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { withFileLock } from "../shared/file-lock.ts";

/** Re-exported for `flash undeploy --live`, which reads the same file. */
export { isProcessAlive } from "../shared/process-alive.ts";

/** One live endpoint a dev session created. */
export const LiveEndpointEntry = z.object({ id: z.string(), name: z.string() });
export type LiveEndpointEntry = z.infer<typeof LiveEndpointEntry>;

/** A dev session's record: enough to remove its endpoints if it dies without cleaning up. */
export const LiveSessionEntry = z.object({
  sessionId: z.string(),
  pid: z.number().int(),
  /** The GraphQL URL of the account the endpoints live on (RunPod or an emulator). */
  graphqlUrl: z.string(),
  /** True for the emulator embedded in `flash run`, whose endpoints end with the process. */
  embedded: z.boolean(),
  startedAt: z.string(),
  endpoints: z.array(LiveEndpointEntry),
  /** The session's flash environment `live-<session>` (live-runtime.ts), once made. */
  environment: z.object({ id: z.string(), name: z.string() }).optional(),
});
export type LiveSessionEntry = z.infer<typeof LiveSessionEntry>;

/** `.flash/live-session.json`. */
export const LiveSessionFile = z.object({ version: z.literal(1), sessions: z.array(LiveSessionEntry) });
export type LiveSessionFile = z.infer<typeof LiveSessionFile>;

/** Path of the session file of a project. */
export function liveSessionPath(root: string): string {
  return join(root, ".flash", "live-session.json");
}

/**
 * Reads the session file; a missing file is an empty list, and so is one that does not match the
 * schema (reported through `onInvalid`), since it only serves to clean up after crashed sessions.
 */
export async function readLiveSessions(
  root: string,
  onInvalid: (message: string) => void = () => {},
): Promise<LiveSessionEntry[]> {
  let text: string;
  try {
    text = await readFile(liveSessionPath(root), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  try {
    const parsed = LiveSessionFile.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data.sessions;
    onInvalid(
      `${liveSessionPath(root)} is not a valid session list (${parsed.error.issues[0]?.message}); ignoring it.`,
    );
  } catch (err) {
    onInvalid(`${liveSessionPath(root)} is not JSON (${(err as Error).message}); ignoring it.`);
  }
  return [];
}

/**
 * Replaces the session list (written aside and renamed, so a crash never leaves half a file). The
 * temp name is unique per write: concurrent writers must never rename each other's file away.
 */
export async function writeLiveSessions(root: string, sessions: LiveSessionEntry[]): Promise<void> {
  const file = liveSessionPath(root);
  await mkdir(join(root, ".flash"), { recursive: true });
  const body: LiveSessionFile = { version: 1, sessions };
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    await writeFile(tmp, `${JSON.stringify(body, null, 2)}\n`);
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}

/**
 * Applies `change` to the stored list of sessions (read, change, write) under the session file's
 * lock, so concurrent writers (sessions of one project, first calls of one session) keep each
 * other's entries.
 */
export async function updateLiveSessions(
  root: string,
  change: (sessions: LiveSessionEntry[]) => LiveSessionEntry[],
): Promise<void> {
  await withFileLock(
    `${liveSessionPath(root)}.lock`,
    async () => writeLiveSessions(root, change(await readLiveSessions(root))),
    // Each holder only reads and writes a small file: a holder that long is stuck, not busy.
    { timeoutMs: 30_000, what: liveSessionPath(root) },
  );
}
