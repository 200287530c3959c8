import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { copyFixture, removeDir, request, runFlash, stopAll } from "../dev/cli-process.ts";

let dir: string | undefined;
let cache: string | undefined;
afterEach(async () => {
  await stopAll();
  await removeDir(dir);
  if (cache) await rm(cache, { recursive: true, force: true });
});

// The worker cache is per user and shared by every project. A folder an earlier install made there
// (its runpod-flash link now pointing at a deleted or other version) must not break this one's jobs.
it("a cache folder left by another runpod-flash install does not break local QB calls", async () => {
  cache = await mkdtemp(join(tmpdir(), "flash-cache-test-"));
  // What an install that has since moved left behind: a ready folder linking to a package gone.
  const stale = join(cache, "live", "no-deps");
  await mkdir(join(stale, "node_modules"), { recursive: true });
  await symlink(join(cache, "deleted-install"), join(stale, "node_modules", "runpod-flash"));
  await writeFile(join(stale, ".flash-ready"), "");

  dir = await copyFixture("run-single");
  const flash = runFlash(dir, ["run", "--port", "0", "--no-reload"], { FLASH_CACHE_DIR: cache });
  const url = await flash.url(60_000);
  const res = await request(`${url}/gpu_worker/run_sync`, { json: { input: { name: "Ada" } } });
  expect(res.body).toMatchObject({ status: "COMPLETED", output: { greeting: "Hello, Ada!" } });
}, 90_000);
