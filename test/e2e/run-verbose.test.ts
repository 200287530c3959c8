import { afterEach, expect, it } from "vitest";
import { copyFixture, removeDir, request, runFlash, stopAll } from "../dev/cli-process.ts";

let dir: string | undefined;
afterEach(async () => {
  await stopAll();
  await removeDir(dir);
});

it("flash run --verbose prints a line per request: method, path, status and milliseconds", async () => {
  dir = await copyFixture("run-single");
  const flash = runFlash(dir, ["run", "--port", "0", "--no-reload", "--verbose"]);
  const url = await flash.url(60_000);
  await request(`${url}/ping`);
  await flash.waitFor(/^GET \/ping 200 \d+\.\d ms$/m);
  const res = await request(`${url}/gpu_worker/run_sync`, { json: { input: { name: "Ada" } } });
  expect(res.status).toBe(200);
  await flash.waitFor(/^POST \/gpu_worker\/run_sync 200 \d+\.\d ms$/m);
  await request(`${url}/nowhere`);
  await flash.waitFor(/^GET \/nowhere 404 \d+\.\d ms$/m);
}, 90_000);

it("without --verbose no request lines are printed", async () => {
  dir = await copyFixture("run-single");
  const flash = runFlash(dir, ["run", "--port", "0", "--no-reload"]);
  const url = await flash.url(60_000);
  await request(`${url}/ping`);
  expect((await request(`${url}/gpu_worker/run_sync`, { json: { input: { name: "Ada" } } })).status).toBe(
    200,
  );
  expect(flash.output).not.toMatch(/^(GET|POST) \//m);
}, 90_000);
