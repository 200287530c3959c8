import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkerBundle } from "../../src/dev/bundle.ts";
import { createDevApp, type RequestListener } from "../../src/dev/dev-app.ts";
import { docsSourceOf } from "../../src/dev/docs.ts";
import type { QueueEndpoint } from "../../src/dev/execution.ts";
import { HttpHost } from "../../src/dev/http-host.ts";
import { JobOwners } from "../../src/dev/job-owners.ts";
import { type DevRoute, devRoutesOf, type QbRoute } from "../../src/dev/routes.ts";
import { rawRequest, stalledRequest } from "../helpers/raw-http.ts";
import { resource, scanOf } from "./fake-scan.ts";

/**
 * The dev server's request handling on one real node:http server: LB routes run their handlers,
 * QB prefixes forward RunPod's queue API to the resource's endpoint (here a recording stand-in for
 * the emulator, so what the dev server itself adds is visible: the envelope, per-prefix jobs, mapped
 * stacks, failures reported once). RunPod's semantics behind it are tested end to end against the
 * embedded emulator with runpod-sdk (test/e2e/run-queue-api.test.ts).
 */
describe("the dev server's HTTP app", () => {
  let listener: RequestListener;
  let routes: DevRoute[];
  let host: HttpHost;
  let base: string;
  const seen: unknown[] = [];
  const sent: { endpointId: string; method: string; path: string; body: unknown }[] = [];
  const reported: string[] = [];
  const bundle: WorkerBundle = { sha256: "abc123", code: "export const x = 1;" } as WorkerBundle;
  let next = 0;

  /** Answers like RunPod: /run IN_QUEUE, /runsync the result; fn "fail" fails with a worker traceback. */
  const endpointOf = (route: QbRoute): QueueEndpoint => {
    const endpointId = `ep-${route.resource.resourceName}`;
    return {
      endpointId,
      send: async ({ method, path, body }) => {
        const parsed = body === undefined ? undefined : JSON.parse(body);
        sent.push({ endpointId, method, path, body: parsed });
        const op = path.split(/[/?]/)[1];
        if (op === "run")
          return { status: 200, text: JSON.stringify({ id: `job-${++next}`, status: "IN_QUEUE" }) };
        if (op === "runsync") {
          const id = `job-${++next}`;
          if (parsed.input.__flash__.function === "fail") {
            const error = JSON.stringify({
              error_type: "Error",
              error_message: "it broke",
              error_traceback: "Error: it broke\n    at fail (file:///cache/abc123.mjs:1:1)",
            });
            return { status: 200, text: JSON.stringify({ id, status: "FAILED", error }) };
          }
          return {
            status: 200,
            text: JSON.stringify({ id, status: "COMPLETED", output: parsed.input.input }),
          };
        }
        if (op === "status")
          return { status: 200, text: JSON.stringify({ id: path.split("/")[2], status: "IN_QUEUE" }) };
        if (op === "retry")
          return { status: 400, text: JSON.stringify({ error: "only FAILED jobs can be retried" }) };
        return { status: 200, text: JSON.stringify({ op, method }) };
      },
    };
  };

  beforeAll(async () => {
    const scan = scanOf("/p", [
      resource("gpu_worker.ts", [{ name: "process" }]),
      resource("longruns/stage1.ts", [{ name: "ok" }, { name: "fail" }]),
      resource(
        "api/routes.ts",
        [
          { name: "item", method: "GET", path: "/items/{id}" },
          { name: "create", method: "POST", path: "/items" },
          { name: "teapot", method: "POST", path: "/teapot" },
        ],
        true,
      ),
    ]);
    routes = devRoutesOf(scan);
    listener = createDevApp({
      routes,
      showStacks: true,
      root: "/p",
      owners: new JobOwners(),
      docs: docsSourceOf(routes),
      endpoint: async (route) => endpointOf(route),
      bundleOf: async () => bundle,
      reportFailure: (route, message) => reported.push(`${route.path} ${route.fn.name}: ${message}`),
      lbHandler: (route) => async (input, ctx) => {
        seen.push(input);
        if (route.fn.name === "teapot")
          throw Object.assign(new Error("short and stout"), { statusCode: 418 });
        return { fn: route.fn.name, input, params: ctx.params, method: ctx.method };
      },
    });
    host = new HttpHost(listener);
    base = `http://127.0.0.1:${await host.listen("127.0.0.1", 0)}`;
  });
  afterAll(async () => {
    await host?.close();
  });

  const post = (path: string, body?: string, type = "application/json") =>
    fetch(`${base}${path}`, {
      method: "POST",
      body,
      headers: body === undefined ? {} : { "content-type": type },
    });
  const json = async (res: Response) => (await res.json()) as Record<string, unknown>;

  it("submits QB jobs to the resource's endpoint with the function's bundle around the input", async () => {
    sent.length = 0;
    const res = await post(
      "/gpu_worker/run_sync",
      JSON.stringify({ input: { prompt: "hi" }, webhook: "http://h/" }),
    );
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({
      id: expect.any(String),
      status: "COMPLETED",
      output: { prompt: "hi" },
    });
    expect(sent[0]).toEqual({
      endpointId: "ep-gpu_worker",
      method: "POST",
      path: "/runsync",
      body: {
        webhook: "http://h/",
        input: {
          __flash__: {
            v: 1,
            function: "process",
            file: "gpu_worker.ts",
            bundle: { sha256: "abc123", code: "export const x = 1;" },
            dependencies: [],
            systemDependencies: [],
          },
          input: { prompt: "hi" },
        },
      },
    });
  });

  it("answers /run as the endpoint does (IN_QUEUE at once) and passes ?wait= on", async () => {
    sent.length = 0;
    const run = await post("/gpu_worker/run", JSON.stringify({ input: 1 }));
    expect(await json(run)).toEqual({ id: expect.any(String), status: "IN_QUEUE" });
    await post("/gpu_worker/runsync?wait=1500", JSON.stringify({ input: 2 }));
    await post("/gpu_worker/run_sync?wait=2000", JSON.stringify({ input: 3 }));
    expect(sent.map((s) => s.path)).toEqual(["/run", "/runsync?wait=1500", "/runsync?wait=2000"]);
  });

  it("takes a body without `input` as the input itself, on every submission spelling", async () => {
    for (const url of ["/gpu_worker/run", "/gpu_worker/runsync", "/gpu_worker/run_sync"]) {
      sent.length = 0;
      await post(url, JSON.stringify({ prompt: "bare" }));
      expect((sent[0]!.body as { input: { input: unknown } }).input.input).toEqual({ prompt: "bare" });
    }
  });

  it("serves the queue operations of each prefix, a job only under the prefix it was submitted to", async () => {
    const ok = await json(await post("/longruns/stage1/ok/run", "{}"));
    sent.length = 0;
    const status = await fetch(`${base}/longruns/stage1/ok/status/${ok.id}`);
    expect(await json(status)).toEqual({ id: ok.id, status: "IN_QUEUE" });
    expect(sent).toEqual([
      { endpointId: "ep-longruns_stage1", method: "GET", path: `/status/${ok.id}`, body: undefined },
    ]);
    const elsewhere = await fetch(`${base}/longruns/stage1/fail/status/${ok.id}`);
    expect(elsewhere.status).toBe(404);
    expect(await json(elsewhere)).toEqual({
      error: `job ${ok.id} not found (unknown, or its result expired)`,
    });
    sent.length = 0;
    for (const [method, path] of [
      ["POST", `/gpu_worker/cancel/${ok.id}x`],
      ["GET", "/gpu_worker/health"],
      ["POST", "/gpu_worker/purge-queue"],
      ["GET", "/gpu_worker/stream/j1?wait=10"],
      ["POST", "/gpu_worker/status-sync/j2?wait=1000"],
    ] as const) {
      const res = await fetch(`${base}${path}`, { method });
      expect(res.status, path).toBe(200);
    }
    expect(sent.map((s) => `${s.method} ${s.path}`)).toEqual([
      `POST /cancel/${ok.id}x`,
      "GET /health",
      "POST /purge-queue",
      "GET /stream/j1?wait=10",
      "POST /status-sync/j2?wait=1000",
    ]);
    // The endpoint's own 4xx answers reach the client as they are.
    const retry = await fetch(`${base}/gpu_worker/retry/j3`, { method: "POST" });
    expect(retry.status).toBe(400);
    expect(await json(retry)).toEqual({ error: "only FAILED jobs can be retried" });
  });

  it("answers a failed job 200 FAILED (RunPod's shape) with the stack, and reports it once", async () => {
    reported.length = 0;
    const res = await post("/longruns/stage1/fail/run_sync", JSON.stringify({ input: {} }));
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({ status: "FAILED", stack: expect.stringContaining("it broke") });
    expect(JSON.parse(body.error as string)).toMatchObject({
      error_type: "Error",
      error_message: "it broke",
    });
    expect(reported).toEqual(["/longruns/stage1/fail/run_sync fail: it broke"]);
  });

  it("refuses bad bodies before they reach user code or an endpoint", async () => {
    seen.length = 0;
    sent.length = 0;
    const cases: [string, string | undefined, string?][] = [
      ["/gpu_worker/run_sync", "{not json"],
      ["/gpu_worker/run_sync", "[1,2]"],
      ["/gpu_worker/run_sync", '"text"'],
      ["/gpu_worker/run_sync", "null"],
      ["/gpu_worker/run_sync", ""],
      ["/gpu_worker/run_sync", undefined],
      ["/gpu_worker/run", '{"__proto__": {"x": 1}}'],
      ["/gpu_worker/run_sync", '{"input": {"__proto__": {"x": 1}}}'],
      ["/api/routes/items", "[1]"],
      ["/api/routes/items", "nope"],
      ["/api/routes/items", '{"__proto__": {}}'],
    ];
    for (const [url, payload, type] of cases) {
      const res = await post(url, payload, type);
      expect(res.status, `${url} ${payload}`).toBe(400);
      expect((await json(res)).error).toEqual(expect.any(String));
    }
    expect(seen).toEqual([]);
    expect(sent).toEqual([]);
  });

  it("answers 413 over RunPod's limits, announced or chunked", async () => {
    const big = JSON.stringify({ input: "x".repeat(10 * 1024 * 1024) });
    const announced = await post("/gpu_worker/run", big);
    const chunked = await fetch(`${base}/gpu_worker/run`, {
      method: "POST",
      body: new Blob([big]).stream(),
      headers: { "content-type": "application/json" },
      duplex: "half",
    } as RequestInit);
    for (const res of [announced, chunked]) {
      expect(res.status).toBe(413);
      expect(await json(res)).toEqual({
        error: "The body is too large (over 10 MB, RunPod's limit for /run).",
      });
    }
    expect((await post("/gpu_worker/run_sync", big)).status).toBe(200);
  });

  it("answers 404 and 405 with JSON, ignores a trailing slash", async () => {
    const missing = await fetch(`${base}/nope`);
    expect(missing.status).toBe(404);
    expect((await json(missing)).error).toBe("No route GET /nope. See /docs for the routes.");
    const wrong = await fetch(`${base}/gpu_worker/run_sync`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST");
    const wrongHealth = await fetch(`${base}/gpu_worker/health`, { method: "POST" });
    expect(wrongHealth.headers.get("allow")).toBe("GET, HEAD");
    expect((await fetch(`${base}/api/routes/items/7`, { method: "DELETE" })).status).toBe(405);
    expect((await post("/gpu_worker/run_sync/", '{"input": 1}')).status).toBe(200);
    expect((await post("/api/routes/items/", '{"name": "n"}')).status).toBe(200);
  });

  it("serves LB routes with path params and query", async () => {
    expect(await json(await fetch(`${base}/api/routes/items/42?q=a&q=b&x=1`))).toEqual({
      fn: "item",
      input: { q: ["a", "b"], x: "1" },
      params: { id: "42" },
      method: "GET",
    });
    expect(await json(await fetch(`${base}/api/routes/items/a%20b`))).toMatchObject({
      params: { id: "a b" },
    });
    expect(await json(await post("/api/routes/items", JSON.stringify({ name: "n" })))).toMatchObject({
      fn: "create",
      input: { name: "n" },
    });
    expect((await json(await post("/api/routes/items"))).input).toEqual({});
    const teapot = await post("/api/routes/teapot", "{}");
    expect(teapot.status).toBe(418);
    expect(await json(teapot)).toEqual({ error: "short and stout" });
  });

  it("serves /, /ping and /openapi.json", async () => {
    expect(await json(await fetch(`${base}/ping`))).toEqual({ status: "healthy" });
    expect(await json(await fetch(`${base}/`))).toEqual({ message: "Flash Dev Server", docs: "/docs" });
    const spec = (await (await fetch(`${base}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { tags: string[] }> | undefined>;
    };
    expect(spec.paths["/gpu_worker/run_sync"]?.post?.tags).toEqual(["gpu_worker [QB]"]);
    expect(spec.paths["/api/routes/items/{id}"]?.get?.tags).toEqual(["api/routes [LB]"]);
    const docs = await fetch(`${base}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).not.toMatch(/https?:\/\/(cdn|unpkg)/);
  });

  describe("requests from web pages and broken clients", () => {
    let host: HttpHost;
    let base: string;
    let port: number;
    beforeAll(async () => {
      host = new HttpHost(listener, { allowedHosts: ["dev.test"] });
      port = await host.listen("127.0.0.1", 0);
      base = `http://127.0.0.1:${port}`;
    });
    afterAll(async () => {
      await host.close();
    });
    const JSON_TYPE = { "content-type": "application/json" };
    const stillAnswers = async () => {
      expect(await rawRequest(base, "GET", "/ping", {})).toEqual({
        status: 200,
        json: { status: "healthy" },
      });
    };

    it("refuses a Host that is not local (DNS rebinding) with 403; --allowed-hosts names get in", async () => {
      seen.length = 0;
      const evil = await rawRequest(
        base,
        "POST",
        "/gpu_worker/run_sync",
        { ...JSON_TYPE, host: `evil.example:${port}` },
        '{"input": 1}',
      );
      expect(evil.status).toBe(403);
      expect(evil.json.error).toContain(`Host "evil.example:${port}" is not allowed`);
      expect(evil.json.error).toContain("--allowed-hosts evil.example");
      expect((await rawRequest(base, "GET", "/docs/", { host: "evil.example" })).status).toBe(403);
      expect(seen).toEqual([]);
      for (const name of [`localhost:${port}`, `dev.test:${port}`, `[::1]:${port}`]) {
        const ok = await rawRequest(
          base,
          "POST",
          "/gpu_worker/run_sync",
          { ...JSON_TYPE, host: name },
          '{"input": 2}',
        );
        expect(ok.status, name).toBe(200);
      }
      await stillAnswers();
    });

    it("refuses cross-origin browser requests; same-origin calls and navigations to /docs work", async () => {
      seen.length = 0;
      for (const origin of ["http://evil.example", "null", `http://localhost:${port + 1}`]) {
        const r = await rawRequest(
          base,
          "POST",
          "/api/routes/items",
          { ...JSON_TYPE, host: `localhost:${port}`, origin },
          '{"name": "x"}',
        );
        expect(r.status, origin).toBe(403);
        expect(r.json.error).toContain("Cross-origin request refused");
      }
      const img = await rawRequest(base, "GET", "/api/routes/items/1", {
        "sec-fetch-site": "cross-site",
        "sec-fetch-mode": "no-cors",
      });
      expect(img.status).toBe(403);
      expect(img.json.error).toContain("Cross-site request refused");
      expect(seen).toEqual([]);
      const own = await rawRequest(
        base,
        "POST",
        "/api/routes/items",
        { ...JSON_TYPE, host: `localhost:${port}`, origin: `http://localhost:${port}` },
        '{"name": "y"}',
      );
      expect(own.status).toBe(200);
      const nav = await rawRequest(base, "GET", "/docs/", {
        "sec-fetch-site": "cross-site",
        "sec-fetch-mode": "navigate",
      });
      expect(nav.status).toBe(200);
      await stillAnswers();
    });

    it("answers 415 to a body that is not sent as JSON, on QB and LB routes", async () => {
      seen.length = 0;
      for (const [path, type] of [
        ["/gpu_worker/run_sync", "text/plain"],
        ["/gpu_worker/run", "application/x-www-form-urlencoded"],
        ["/api/routes/items", "text/plain;charset=UTF-8"],
      ] as const) {
        const r = await rawRequest(base, "POST", path, { "content-type": type }, '{"input": 1}');
        expect(r.status, path).toBe(415);
        expect(r.json.error).toContain(`Content-Type: application/json (got ${JSON.stringify(type)})`);
      }
      const none = await rawRequest(base, "POST", "/gpu_worker/run_sync", {}, '{"input": 1}');
      expect(none.status).toBe(415);
      expect(none.json.error).toContain("(none was sent)");
      expect(seen).toEqual([]);
      const vnd = await rawRequest(
        base,
        "POST",
        "/gpu_worker/run_sync",
        { "content-type": "application/vnd.api+json; charset=utf-8" },
        '{"input": 3}',
      );
      expect(vnd.status).toBe(200);
      await stillAnswers();
    });

    it("answers 400 to a malformed percent-encoding", async () => {
      for (const path of ["/api/routes/items/%ZZ", "/%ZZ", "/gpu_worker/status/%E0%A4%A"]) {
        const r = await rawRequest(base, "GET", path, {});
        expect(r.status, path).toBe(400);
        expect(r.json).toEqual({ error: `malformed percent-encoding in the path: ${path}` });
      }
      await stillAnswers();
    });

    it("answers 408 to a body that stops arriving", async () => {
      const slow = new HttpHost(listener, {
        timeouts: { headersMs: 1000, requestMs: 1000, checkIntervalMs: 100 },
      });
      const slowPort = await slow.listen("127.0.0.1", 0);
      try {
        expect(await stalledRequest(slowPort, "/gpu_worker/run_sync")).toMatch(/^HTTP\/1\.1 408/);
        expect((await rawRequest(`http://127.0.0.1:${slowPort}`, "GET", "/ping", {})).status).toBe(200);
      } finally {
        await slow.close();
      }
    });
  });
});
