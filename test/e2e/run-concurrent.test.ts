import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, connectControlPlane } from "../../src/cloud/control-plane.ts";
import { readLiveSessions } from "../../src/dev/live-session.ts";
import { copyFixture, type FlashProcess, removeDir, request, runFlash, stopAll } from "../dev/cli-process.ts";

/**
 * Ten `flash run` sessions in one project, each of whose first request fans out to three QB
 * resources at once (the fixture's LB route: Promise.all), so every session provisions three
 * endpoints concurrently while the others write the same `.flash/live-session.json`. Heavy on a
 * small machine (10 dev servers and 30 workers): the timeouts are generous, no timing is asserted.
 */
const SESSIONS = 10;
const EXPECTED = (n: number) => [
  { from: "alpha", n },
  { from: "beta", n },
  { from: "gamma", n },
];

let dir: string;
/** The dev sessions a test started; stopped after it even when it fails. */
const started: FlashProcess[] = [];
beforeAll(async () => {
  dir = await copyFixture("run-fanout");
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop(30_000)));
});
afterAll(async () => {
  await stopAll();
  await removeDir(dir);
});

/** Starts `count` sessions in the project and waits for every server's URL. */
async function startSessions(count: number, args: string[], env: NodeJS.ProcessEnv = {}) {
  const sessions = Array.from({ length: count }, () =>
    runFlash(dir, ["run", ...args, "--port", "0", "--no-reload"], env),
  );
  started.push(...sessions);
  const urls = await Promise.all(sessions.map((s) => s.url(180_000)));
  return { sessions, urls };
}

/** One fan-out request per session, all at once; every answer must be the three results. */
async function fanOutEverywhere(urls: string[], n: number): Promise<void> {
  const answers = await Promise.all(urls.map((url) => request(`${url}/api/fanout/all`, { json: { n } })));
  for (const a of answers)
    expect({ status: a.status, body: a.body }).toEqual({ status: 200, body: EXPECTED(n) });
}

/** Sessions' "Provisioned local/live endpoint" lines: three per session, none twice. */
function provisioned(sessions: FlashProcess[]): string[] {
  return sessions.flatMap((s) =>
    [...s.output.matchAll(/Provisioned (?:local|live) endpoint (\S+)/g)].map((m) => m[1]!),
  );
}

describe("concurrent first calls", () => {
  it("local mode: 10 sessions x 3 resources called at once on first use, then again: every call succeeds", async () => {
    const { sessions, urls } = await startSessions(SESSIONS, ["--local"]);
    await fanOutEverywhere(urls, 1);
    await fanOutEverywhere(urls, 2);
    expect(provisioned(sessions)).toHaveLength(SESSIONS * 3);
    // Every session's three endpoints are on record: none lost to another writer.
    const records = await readLiveSessions(dir);
    expect(records).toHaveLength(SESSIONS);
    for (const r of records) expect(r.endpoints).toHaveLength(3);
    for (const url of urls) expect((await request(`${url}/ping`)).status).toBe(200);
    for (const s of sessions) expect(await s.stop(30_000)).toBe(0);
    expect(await readLiveSessions(dir)).toEqual([]);
  }, 400_000);

  describe("live mode against flash emulator", () => {
    let emulator: FlashProcess;
    let apiUrl: string;
    let cp: ControlPlane;
    const KEY = "test-key";
    const env = () => ({ RUNPOD_API_URL: apiUrl, RUNPOD_API_KEY: KEY });
    const liveNames = async () =>
      (await cp.listEndpoints())
        .map((e) => e.name)
        .filter((n) => n.startsWith("live-"))
        .sort();

    beforeAll(async () => {
      emulator = runFlash(dir, ["emulator", "--port", "0"]);
      apiUrl = (await emulator.waitFor(/listening on (http:\/\/\S+)/, 60_000))[1] as string;
      cp = await connectControlPlane({ env: { RUNPOD_API_URL: apiUrl }, apiKey: KEY });
    }, 90_000);
    afterAll(async () => {
      await emulator?.stop();
    });

    it("10 sessions x 3 resources called at once on first use, then again: every call succeeds, one endpoint each", async () => {
      const { sessions, urls } = await startSessions(SESSIONS, ["--live"], env());
      await fanOutEverywhere(urls, 1);
      await fanOutEverywhere(urls, 2);
      const names = provisioned(sessions).sort();
      expect(names).toHaveLength(SESSIONS * 3);
      expect(await liveNames()).toEqual(names);
      const records = await readLiveSessions(dir);
      expect(records.flatMap((r) => r.endpoints.map((e) => e.name)).sort()).toEqual(names);
      for (const url of urls) expect((await request(`${url}/ping`)).status).toBe(200);
      for (const s of sessions) expect(await s.stop(30_000)).toBe(0);
      expect(await liveNames()).toEqual([]);
      expect(await readLiveSessions(dir)).toEqual([]);
    }, 400_000);

    it("two sessions killed together (SIGKILL) keep both records, and the next run removes both sets of endpoints", async () => {
      const { sessions, urls } = await startSessions(2, ["--live"], env());
      await fanOutEverywhere(urls, 3);
      const names = provisioned(sessions).sort();
      expect(names).toHaveLength(6);
      for (const s of sessions) s.child.kill("SIGKILL");
      await Promise.all(sessions.map((s) => s.exited));
      expect(await liveNames()).toEqual(names);
      const records = await readLiveSessions(dir);
      expect(records.flatMap((r) => r.endpoints.map((e) => e.name)).sort()).toEqual(names);

      const {
        sessions: [next],
        urls: [nextUrl],
      } = await startSessions(1, ["--live"], env());
      for (const name of names)
        await next!.waitFor(new RegExp(`Removed live endpoint ${name} left by session`), 60_000);
      expect(await liveNames()).toEqual([]);
      expect((await request(`${nextUrl}/ping`)).status).toBe(200);
      expect(await next!.stop(30_000)).toBe(0);
      expect(await readLiveSessions(dir)).toEqual([]);
    }, 300_000);
  });
});
