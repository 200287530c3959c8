import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";
import { addEndpoint, bundleFixture, call, live, startEmulator, type TestEmulator } from "./helpers.ts";

// A live job's `dependencies` are installed with npm into the worker's cache, keyed by the list, and
// resolvable by the bundle. A local package (file: spec) keeps the test offline.
let emu: TestEmulator;
const dep = `file:${fileURLToPath(new URL("../fixtures/emulator/dep-package", import.meta.url))}`;

beforeAll(async () => {
  emu = await startEmulator();
});

afterAll(async () => {
  await emu.close();
});

test("dependencies are installed with npm and the bundle imports them", async () => {
  const bundle = await bundleFixture("emulator/uses-dep.ts", ["flash-dep-fixture"]);
  const ep = addEndpoint(emu);
  const r = await call(emu, "POST", `/v2/${ep.id}/runsync`, {
    input: live(bundle, "loud", { text: "hi" }, [dep]),
  });
  expect(r.json).toMatchObject({ status: "COMPLETED", output: "HI!" });
  // Second job: the install is cached (same dependency list), same result.
  const again = await call(emu, "POST", `/v2/${ep.id}/runsync`, {
    input: live(bundle, "loud", { text: "yo" }, [dep]),
  });
  expect(again.json).toMatchObject({ status: "COMPLETED", output: "YO!" });
});

test("a dependency npm cannot install fails the job with npm's message", async () => {
  const bundle = await bundleFixture("emulator/uses-dep.ts", ["flash-dep-fixture"]);
  const ep = addEndpoint(emu);
  const bad = "file:/nonexistent/flash-no-such-package";
  const r = await call(emu, "POST", `/v2/${ep.id}/runsync`, {
    input: live(bundle, "loud", { text: "x" }, [bad]),
  });
  expect(r.json.status).toBe("FAILED");
  expect(r.json.error).toContain("npm install");
});
