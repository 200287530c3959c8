import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import type { EmulatedEndpoint } from "../../src/emulator/registry.ts";
import { REPO } from "../dev/cli-process.ts";
import { rawRequest as raw, stalledRequest } from "../helpers/raw-http.ts";
import { addEndpoint, call, startEmulator, type TestEmulator } from "./helpers.ts";

/**
 * Requests a web page (DNS rebinding, cross-origin forms and scripts) or a broken client can send
 * the emulator, each sent as is over HTTP; after each, the emulator still answers normal calls.
 */

const KEY = { authorization: "Bearer test-key" };
const JSON_TYPE = { "content-type": "application/json" };
const createApp = (name: string) =>
  JSON.stringify({
    query: `mutation { createFlashApp(input: {name: ${JSON.stringify(name)}}) { id name } }`,
  });

let emu: TestEmulator;
let parked: EmulatedEndpoint;

/** The emulator still answers: its index and a GraphQL query. */
async function stillAnswers(target: TestEmulator = emu): Promise<void> {
  expect((await call(target, "GET", "/")).status).toBe(200);
  const q = await call(target, "POST", "/graphql", { query: "{ myself { id } }" });
  expect(q.status).toBe(200);
  expect(q.json.data.myself.id).toEqual(expect.any(String));
}

beforeAll(async () => {
  emu = await startEmulator();
  parked = addEndpoint(emu, { workersMax: 0 });
});
afterAll(async () => {
  await emu.close();
});

describe("Host check (DNS rebinding)", () => {
  test("a Host that is not local is refused with 403 and how to allow it", async () => {
    const r = await raw(
      emu.url,
      "POST",
      "/graphql",
      { ...KEY, ...JSON_TYPE, host: "evil.example" },
      createApp("rebound"),
    );
    expect(r.status).toBe(403);
    expect(r.json.error).toContain('Host "evil.example" is not allowed');
    expect(r.json.error).toContain("--allowed-hosts evil.example");
    const apps = await call(emu, "POST", "/graphql", { query: "{ myself { flashApps { name } } }" });
    expect(apps.json.data.myself.flashApps).toEqual([]);
    // localhost, *.localhost and IP literals (with the port) are answered.
    for (const host of [
      `localhost:${emu.port}`,
      `app.localhost:${emu.port}`,
      `127.0.0.1:${emu.port}`,
      `[::1]:${emu.port}`,
    ]) {
      const r = await raw(emu.url, "GET", "/", { host });
      expect(r.status, host).toBe(200);
      expect(r.json.name).toBe("flash emulator");
    }
    await stillAnswers();
  });

  test("allowedHosts lets a named host and a domain's subdomains in; `all` lets any", async () => {
    const named = await startEmulator({ allowedHosts: ["emu.test", ".example.com"] });
    const any = await startEmulator({ allowedHosts: "all" });
    try {
      for (const host of ["emu.test:1", "example.com", "a.b.example.com"]) {
        expect((await raw(named.url, "GET", "/", { host })).status, host).toBe(200);
      }
      for (const host of ["other.test", "example.com.evil.test", "emu.test.evil"]) {
        expect((await raw(named.url, "GET", "/", { host })).status, host).toBe(403);
      }
      expect((await raw(any.url, "GET", "/", { host: "evil.example" })).status).toBe(200);
      await stillAnswers(named);
    } finally {
      await named.close();
      await any.close();
    }
  });
});

describe("cross-origin browser requests", () => {
  test("Origin http://evil.example on POST /graphql: 403 and no app created", async () => {
    const r = await raw(
      emu.url,
      "POST",
      "/graphql",
      { ...KEY, ...JSON_TYPE, origin: "http://evil.example" },
      createApp("from-a-page"),
    );
    expect(r.status).toBe(403);
    expect(r.json.error).toContain('Origin "http://evil.example" is not this server\'s origin');
    const apps = await call(emu, "POST", "/graphql", { query: "{ myself { flashApps { name } } }" });
    expect(apps.json.data.myself.flashApps).toEqual([]);
    await stillAnswers();
  });

  test("Origin null (a sandboxed page or a file) is refused; the server's own origin is not", async () => {
    const nul = await raw(
      emu.url,
      "POST",
      `/v2/${parked.id}/run`,
      { ...KEY, ...JSON_TYPE, origin: "null" },
      '{"input":1}',
    );
    expect(nul.status).toBe(403);
    expect(nul.json.error).toContain("Cross-origin request refused");
    expect(emu.jobs.counts(parked.id).inQueue).toBe(0);
    const own = await raw(emu.url, "GET", "/", { origin: emu.url });
    expect(own.status).toBe(200);
  });

  test("a cross-site <img>/<script> load (Sec-Fetch-Site, no Origin) is refused; a navigation is not", async () => {
    const img = await raw(emu.url, "GET", `/v2/${parked.id}/health?api_key=x`, {
      "sec-fetch-site": "cross-site",
      "sec-fetch-mode": "no-cors",
    });
    expect(img.status).toBe(403);
    expect(img.json.error).toContain("Cross-site request refused");
    const nav = await raw(emu.url, "GET", "/", {
      "sec-fetch-site": "cross-site",
      "sec-fetch-mode": "navigate",
    });
    expect(nav.status).toBe(200);
    await stillAnswers();
  });
});

describe("JSON content type", () => {
  test("text/plain on /v2/{id}/run: 415 with a hint, nothing queued", async () => {
    const r = await raw(
      emu.url,
      "POST",
      `/v2/${parked.id}/run`,
      { ...KEY, "content-type": "text/plain" },
      '{"input":{"x":1}}',
    );
    expect(r.status).toBe(415);
    expect(r.json.error).toContain("Content-Type: application/json");
    expect(r.json.error).toContain('got "text/plain"');
    expect(emu.jobs.counts(parked.id).inQueue).toBe(0);
    const ok = await call(emu, "POST", `/v2/${parked.id}/run`, { input: { x: 1 } });
    expect(ok.status).toBe(200);
    expect(ok.json.status).toBe("IN_QUEUE");
    await call(emu, "POST", `/v2/${parked.id}/purge-queue`);
  });

  test("form-urlencoded on /graphql: 415; application/vnd+json with a charset is JSON", async () => {
    const form = await raw(
      emu.url,
      "POST",
      "/graphql",
      { ...KEY, "content-type": "application/x-www-form-urlencoded" },
      createApp("form"),
    );
    expect(form.status).toBe(415);
    expect((form.json.errors as { message: string }[])[0]!.message).toContain("application/json");
    const vnd = await raw(
      emu.url,
      "POST",
      "/graphql",
      { ...KEY, "content-type": "application/graphql-response+json; charset=utf-8" },
      JSON.stringify({ query: "{ myself { id } }" }),
    );
    expect(vnd.status).toBe(200);
  });

  test("a worker posting its result form-urlencoded (RunPod's Python worker) is accepted; text/plain is not", async () => {
    const formEmu = await startEmulator({
      workerEntry: join(REPO, "test/fixtures/emulator/form-worker.mjs"),
    });
    try {
      const ep = addEndpoint(formEmu, { workersMax: 1 });
      const r = await call(formEmu, "POST", `/v2/${ep.id}/runsync`, { input: { n: 7 } });
      expect(r.status).toBe(200);
      expect(r.json.status).toBe("COMPLETED");
      expect(r.json.output).toMatchObject({ input: { n: 7 }, plainStatus: 415 });
      expect(r.json.output.plain.error).toContain("job-done: The body must be JSON");
      await stillAnswers(formEmu);
    } finally {
      await formEmu.close();
    }
  });
});

describe("paths that used to answer 500", () => {
  test.each([
    ["GET", "//", 404, "No route GET //."],
    ["PUT", "/graphql", 405, "Method PUT is not allowed on /graphql; use POST or GET or HEAD."],
    ["DELETE", "/v2/ep/run", 405, "Method DELETE is not allowed on /v2/ep/run; use GET or POST or HEAD."],
    ["POST", "/v2/%ZZ/run", 400, "malformed percent-encoding in the path: /v2/%ZZ/run"],
    ["GET", "/lb/%ZZ/x", 400, "malformed percent-encoding in the path: /lb/%ZZ/x"],
    ["GET", "/v2/ep/status/%E0%A4%A", 400, "malformed percent-encoding in the path: /v2/ep/status/%E0%A4%A"],
  ])("%s %s answers %i", async (method, path, status, error) => {
    const r = await raw(
      emu.url,
      method,
      path,
      { ...KEY, ...JSON_TYPE },
      method === "POST" ? "{}" : undefined,
    );
    expect(r).toEqual({ status, json: { error } });
    await stillAnswers();
  });
});

describe("stalled requests", () => {
  let slow: TestEmulator | undefined;
  afterEach(async () => {
    await slow?.close();
    slow = undefined;
  });

  test("a body that stops arriving is answered 408 and cut off; a long runsync wait is not", async () => {
    slow = await startEmulator({ timeouts: { headersMs: 1000, requestMs: 1000, checkIntervalMs: 100 } });
    const target = slow;
    const ep = addEndpoint(target, { workersMax: 0 });
    const answer = await stalledRequest(target.port, `/v2/${ep.id}/run`, "Authorization: Bearer k\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    // Answering may take longer than receiving: runsync waits 2.5 s on a job no worker takes.
    const sync = await call(target, "POST", `/v2/${ep.id}/runsync?wait=2500`, { input: 1 });
    expect(sync.status).toBe(200);
    expect(sync.json.status).toBe("IN_QUEUE");
    await stillAnswers(target);
  });
});

describe("GraphQL string bounds", () => {
  test("a 9 MB flash app name is refused, naming the bound; a 191-character one is stored", async () => {
    const huge = await call(emu, "POST", "/graphql", {
      query: "mutation($n: String!) { createFlashApp(input: {name: $n}) { id } }",
      variables: { n: "a".repeat(9 * 1024 * 1024) },
    });
    expect(huge.status).toBe(200);
    expect(huge.json.errors[0].message).toBe(
      "input.name is 9437184 characters long; the most allowed is 191 for a name",
    );
    const ok = await call(emu, "POST", "/graphql", {
      query: "mutation($n: String!) { createFlashApp(input: {name: $n}) { id name } }",
      variables: { n: "b".repeat(191) },
    });
    expect(ok.json.data.createFlashApp.name).toHaveLength(191);
    const long = await call(emu, "POST", "/graphql", {
      query: "mutation($i: SaveTemplateInput) { saveTemplate(input: $i) { id } }",
      variables: {
        i: { name: "t", imageName: "runpod/flash:x", containerDiskInGb: 5, dockerArgs: "x".repeat(70_000) },
      },
    });
    expect(long.json.errors[0].message).toBe(
      "input.dockerArgs is 70000 characters long; the most allowed is 65535",
    );
    await call(emu, "POST", "/graphql", {
      query: `mutation { deleteFlashApp(flashAppId: "${ok.json.data.createFlashApp.id}") }`,
    });
    await stillAnswers();
  });
});
