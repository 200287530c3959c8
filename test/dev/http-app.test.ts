import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDocsApp } from "../../src/dev/docs-app.ts";
import { buildHttpApp, type RequestListener } from "../../src/dev/http-app.ts";
import { HttpHost } from "../../src/dev/http-host.ts";
import { JobStore } from "../../src/dev/job-store.ts";
import { type DevRoute, devRoutesOf } from "../../src/dev/routes.ts";
import { FlashError } from "../../src/shared/errors.ts";
import { rawRequest, stalledRequest } from "../helpers/raw-http.ts";
import { resource, scanOf } from "./fake-scan.ts";

describe("the dev server's HTTP app", () => {
  let app: FastifyInstance;
  let listener: RequestListener;
  let routes: DevRoute[];
  const seen: unknown[] = [];

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
    const built = await buildHttpApp({
      routes,
      jobs: new JobStore(),
      showStacks: false,
      runQb: async (route, input) => {
        seen.push(input);
        if (route.fn.name === "fail") throw new FlashError("REMOTE_EXECUTION", "it broke");
        return { fn: route.fn.name, input };
      },
      lbHandler: (route) => async (input, ctx) => {
        seen.push(input);
        if (route.fn.name === "teapot")
          throw Object.assign(new Error("short and stout"), { statusCode: 418 });
        return { fn: route.fn.name, input, params: ctx.params, method: ctx.method };
      },
    });
    app = built.app;
    listener = built.listener;
  });
  afterAll(async () => {
    await app?.close();
  });

  const post = (url: string, payload: string, contentType = "application/json") =>
    app.inject({ method: "POST", url, payload, headers: { "content-type": contentType } });

  it("runs a QB function with the {input} envelope", async () => {
    const res = await post("/gpu_worker/run_sync", JSON.stringify({ input: { prompt: "hi" } }));
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ status: "COMPLETED", output: { fn: "process", input: { prompt: "hi" } } });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    const status = await app.inject({ method: "GET", url: `/gpu_worker/status/${body.id}` });
    expect(status.json()).toEqual({ id: body.id, status: "COMPLETED", output: body.output });
    expect(
      (await app.inject({ method: "GET", url: `/longruns/stage1/ok/status/${body.id}` })).statusCode,
    ).toBe(404);
  });

  it("takes a body without `input` as the input itself, on /run and /runsync too", async () => {
    for (const url of ["/gpu_worker/run", "/gpu_worker/runsync"]) {
      const res = await post(url, JSON.stringify({ prompt: "bare" }));
      expect(res.json().output.input).toEqual({ prompt: "bare" });
    }
  });

  it("answers a failed function with HTTP 500 and FAILED", async () => {
    const res = await post("/longruns/stage1/fail/run_sync", JSON.stringify({ input: {} }));
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ status: "FAILED", error: "it broke" });
  });

  it("refuses bad bodies before user code sees them", async () => {
    seen.length = 0;
    const cases: [string, string, string?][] = [
      ["/gpu_worker/run_sync", "{not json"],
      ["/gpu_worker/run_sync", "[1,2]"],
      ["/gpu_worker/run_sync", '"text"'],
      ["/gpu_worker/run_sync", "null"],
      ["/gpu_worker/run_sync", ""],
      ["/gpu_worker/run_sync", '{"__proto__": {"x": 1}}'],
      ["/api/routes/items", "[1]"],
      ["/api/routes/items", "nope"],
    ];
    for (const [url, payload, type] of cases) {
      const res = await post(url, payload, type);
      expect(res.statusCode, `${url} ${payload}`).toBe(400);
      expect(res.json().error).toEqual(expect.any(String));
    }
    expect(seen).toEqual([]);
  });

  it("answers 413 over RunPod's limits", async () => {
    const big = JSON.stringify({ input: "x".repeat(10 * 1024 * 1024) });
    const run = await post("/gpu_worker/run", big);
    expect(run.statusCode).toBe(413);
    expect(run.json().error).toContain("10 MB");
    expect((await post("/gpu_worker/run_sync", big)).statusCode).toBe(200);
  });

  it("answers 404 and 405 with JSON", async () => {
    const missing = await app.inject({ method: "GET", url: "/nope" });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toContain("/nope");
    const wrong = await app.inject({ method: "GET", url: "/gpu_worker/run_sync" });
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers.allow).toBe("POST");
    const wrongLb = await app.inject({ method: "DELETE", url: "/api/routes/items/7" });
    expect(wrongLb.statusCode).toBe(405);
  });

  it("serves LB routes with path params and query", async () => {
    const get = await app.inject({ method: "GET", url: "/api/routes/items/42?q=a&q=b&x=1" });
    expect(get.json()).toEqual({
      fn: "item",
      input: { q: ["a", "b"], x: "1" },
      params: { id: "42" },
      method: "GET",
    });
    const created = await post("/api/routes/items", JSON.stringify({ name: "n" }));
    expect(created.json()).toMatchObject({ fn: "create", input: { name: "n" } });
    const empty = await app.inject({ method: "POST", url: "/api/routes/items" });
    expect(empty.json().input).toEqual({});
    const teapot = await post("/api/routes/teapot", "{}");
    expect(teapot.statusCode).toBe(418);
    expect(teapot.json()).toEqual({ error: "short and stout" });
  });

  it("answers static LB routes over node:http exactly as through Fastify", async () => {
    const host = new HttpHost(listener, () => buildDocsApp(routes));
    const port = await host.listen("127.0.0.1", 0);
    try {
      const base = `http://127.0.0.1:${port}`;
      const post = (path: string, body?: string) =>
        fetch(`${base}${path}`, { method: "POST", body, headers: { "content-type": "application/json" } });
      for (const path of ["/api/routes/items", "/api/routes/items/"]) {
        const created = await post(path, JSON.stringify({ name: "n" }));
        expect(created.status).toBe(200);
        expect(created.headers.get("content-type")).toBe("application/json; charset=utf-8");
        expect(await created.json()).toMatchObject({ fn: "create", input: { name: "n" }, method: "POST" });
        const viaInject = await app.inject({ method: "POST", url: path, payload: { name: "n" } });
        expect(viaInject.json()).toMatchObject({ fn: "create", input: { name: "n" } });
      }
      expect(await (await post("/api/routes/items")).json()).toMatchObject({ input: {} });
      for (const bad of ["nope", "[1]", '{"__proto__": {}}']) {
        const res = await post("/api/routes/items", bad);
        expect(res.status).toBe(400);
        expect(((await res.json()) as { error: unknown }).error).toEqual(expect.any(String));
      }
      const teapot = await post("/api/routes/teapot", "{}");
      expect(teapot.status).toBe(418);
      expect(await teapot.json()).toEqual({ error: "short and stout" });
      expect((await fetch(`${base}/api/routes/items`, { method: "PUT" })).status).toBe(405);
      expect(await (await fetch(`${base}/api/routes/items/9?a=1`)).json()).toMatchObject({
        input: { a: "1" },
        params: { id: "9" },
      });
    } finally {
      await host.close();
    }
  });

  it("answers QB routes over node:http exactly as through Fastify", async () => {
    const host = new HttpHost(listener, () => buildDocsApp(routes));
    const port = await host.listen("127.0.0.1", 0);
    try {
      const base = `http://127.0.0.1:${port}`;
      const cases: { url: string; body?: string; type?: string }[] = [
        { url: "/gpu_worker/run_sync", body: JSON.stringify({ input: { prompt: "hi" } }) },
        { url: "/gpu_worker/run_sync/", body: JSON.stringify({ input: { prompt: "slash" } }) },
        { url: "/gpu_worker/runsync?wait=5", body: JSON.stringify({ prompt: "bare" }) },
        { url: "/gpu_worker/run", body: JSON.stringify({ input: null }) },
        { url: "/longruns/stage1/fail/run_sync", body: JSON.stringify({ input: {} }) },
        { url: "/gpu_worker/run_sync", body: "{not json" },
        { url: "/gpu_worker/run_sync", body: "[1,2]" },
        { url: "/gpu_worker/run_sync", body: "null" },
        { url: "/gpu_worker/run_sync", body: "" },
        { url: "/gpu_worker/run_sync" },
        { url: "/gpu_worker/run_sync", body: "hello", type: "text/plain" },
        { url: "/gpu_worker/run_sync", body: '{"input": {"__proto__": {"x": 1}}}' },
      ];
      const withoutId = ({ id, ...rest }: Record<string, unknown>) => ({
        ...rest,
        hasId: typeof id === "string",
      });
      for (const c of cases) {
        const headers: Record<string, string> =
          c.type || c.body ? { "content-type": c.type ?? "application/json" } : {};
        const overHttp = await fetch(`${base}${c.url}`, { method: "POST", body: c.body, headers });
        const viaFastify = await app.inject({ method: "POST", url: c.url, payload: c.body, headers });
        expect(overHttp.status, c.url + c.body).toBe(viaFastify.statusCode);
        expect(overHttp.headers.get("content-type")).toBe(viaFastify.headers["content-type"]);
        expect(withoutId((await overHttp.json()) as Record<string, unknown>)).toEqual(
          withoutId(viaFastify.json()),
        );
      }
      // A job run over node:http is visible at /status/{id} of its base only.
      const done = (await (
        await fetch(`${base}/gpu_worker/run_sync`, {
          method: "POST",
          body: '{"input": 7}',
          headers: { "content-type": "application/json" },
        })
      ).json()) as { id: string; output: unknown };
      const status = await fetch(`${base}/gpu_worker/status/${done.id}`);
      expect(await status.json()).toEqual({ id: done.id, status: "COMPLETED", output: done.output });
      // Over the limit, announced or not (a chunked body has no content-length).
      const big = JSON.stringify({ input: "x".repeat(10 * 1024 * 1024) });
      const announced = await fetch(`${base}/gpu_worker/run`, { method: "POST", body: big });
      const chunked = await fetch(`${base}/gpu_worker/run`, {
        method: "POST",
        body: new Blob([big]).stream(),
        duplex: "half",
      } as RequestInit);
      for (const res of [announced, chunked]) {
        expect(res.status).toBe(413);
        expect(await res.json()).toEqual({
          error: "The body is too large (over 10 MB, RunPod's limit for /run).",
        });
      }
    } finally {
      await host.close();
    }
  });

  it("serves / and /ping", async () => {
    expect((await app.inject("/ping")).json()).toEqual({ status: "healthy" });
    expect((await app.inject("/")).json()).toEqual({ message: "Flash Dev Server", docs: "/docs" });
  });

  it("serves /openapi.json with tags per file, and Swagger UI from local assets, beside the routes", async () => {
    const host = new HttpHost(listener, () => buildDocsApp(routes));
    const port = await host.listen("127.0.0.1", 0);
    try {
      const base = `http://127.0.0.1:${port}`;
      const spec = (await (await fetch(`${base}/openapi.json`)).json()) as {
        paths: Record<string, Record<string, { tags: string[] }> | undefined>;
      };
      expect(spec.paths["/gpu_worker/run_sync"]?.post?.tags).toEqual(["gpu_worker [QB]"]);
      expect(spec.paths["/api/routes/items/{id}"]?.get?.tags).toEqual(["api/routes [LB]"]);
      expect(spec.paths["/gpu_worker/runsync"]).toBeUndefined();
      const docs = await fetch(`${base}/docs/`);
      expect(docs.status).toBe(200);
      const html = await docs.text();
      expect(html).toContain("swagger");
      expect(html).not.toMatch(/https?:\/\/(cdn|unpkg)/);
      expect((await fetch(`${base}/ping`)).status).toBe(200);
    } finally {
      await host.close();
    }
  });

  describe("requests from web pages and broken clients", () => {
    let host: HttpHost;
    let base: string;
    let port: number;
    beforeAll(async () => {
      host = new HttpHost(listener, () => buildDocsApp(routes), { allowedHosts: ["dev.test"] });
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

    it("answers 415 to a body that is not sent as JSON, on fast and Fastify routes", async () => {
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
      const viaFastify = await app.inject({
        method: "POST",
        url: "/api/routes/items",
        payload: "{}",
        headers: { "content-type": "text/plain" },
      });
      expect(viaFastify.statusCode).toBe(415);
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
      const slow = new HttpHost(listener, () => buildDocsApp(routes), {
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
