import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request, type ServedFixture, serveFixture } from "../dev/cli-process.ts";

/** Every bad request of SPEC section 4 gets a JSON 4xx, and the server answers normally after each. */
describe("flash run refuses bad input and keeps serving", () => {
  let served: ServedFixture | undefined;
  let url: string;

  beforeAll(async () => {
    served = await serveFixture("run-prd");
    url = served.url;
  }, 90_000);
  afterAll(() => served?.close());

  const stillServing = async () => {
    const res = await request(`${url}/gpu_worker/run_sync`, { json: { input: { prompt: "ok" } } });
    expect(res.body).toMatchObject({ status: "COMPLETED" });
  };

  const cases: {
    name: string;
    path: string;
    method?: string;
    body?: string;
    type?: string;
    status: number;
  }[] = [
    { name: "non-JSON QB body", path: "/gpu_worker/run_sync", body: "{oops", status: 400 },
    { name: "array QB body", path: "/gpu_worker/run_sync", body: "[1,2,3]", status: 400 },
    { name: "string QB body", path: "/gpu_worker/run", body: '"hello"', status: 400 },
    { name: "number QB body", path: "/gpu_worker/run", body: "42", status: 400 },
    { name: "empty QB body", path: "/gpu_worker/run_sync", body: "", status: 400 },
    {
      name: "text/plain garbage",
      path: "/gpu_worker/run_sync",
      body: "hello",
      type: "text/plain",
      status: 415,
    },
    {
      name: "__proto__ key",
      path: "/gpu_worker/run_sync",
      body: '{"input":{"__proto__":{"admin":true}}}',
      status: 400,
    },
    { name: "non-JSON LB body", path: "/api/routes/process", body: "<xml/>", status: 400 },
    { name: "array LB body", path: "/api/routes/process", body: "[]", status: 400 },
    { name: "unknown path", path: "/nothing/here", method: "GET", status: 404 },
    { name: "unknown QB operation", path: "/gpu_worker/walk", body: "{}", status: 404 },
    { name: "GET on a QB route", path: "/gpu_worker/run_sync", method: "GET", status: 405 },
    { name: "POST on an LB GET route", path: "/api/routes/items/1", body: "{}", status: 405 },
    { name: "DELETE on an LB POST route", path: "/api/routes/process", method: "DELETE", status: 405 },
  ];

  for (const c of cases) {
    it(`${c.name} → ${c.status}`, async () => {
      const res = await request(`${url}${c.path}`, {
        method: c.method ?? "POST",
        body: c.body,
        headers: c.body === undefined ? {} : { "content-type": c.type ?? "application/json" },
      });
      expect(res.status).toBe(c.status);
      expect(res.headers.get("content-type")).toContain("application/json");
      expect((res.body as { error: unknown }).error).toEqual(expect.any(String));
      await stillServing();
    });
  }

  // An 8 KB body nested 4,000 deep holding "__proto__" used to overflow a recursive walk in an
  // event callback and end the dev server (issue 11, item 3).
  const deepProto = `{"input":${"[".repeat(3999)}{"__proto__":1}${"]".repeat(3999)}}`;
  for (const path of ["/gpu_worker/run_sync", "/api/routes/process"]) {
    it(`a body nested 4,000 deep holding "__proto__" → 400 on ${path}, and the server lives on`, async () => {
      expect(deepProto.length).toBeLessThan(8200);
      const res = await request(`${url}${path}`, {
        body: deepProto,
        headers: { "content-type": "application/json" },
      });
      expect(res.status).toBe(400);
      expect((res.body as { error: string }).error).toContain("deeper than 512 levels");
      expect((await request(`${url}/ping`)).body).toEqual({ status: "healthy" });
      await stillServing();
    });
  }

  it("input nested 50,000 deep → 400 (not 500) on QB and LB routes", async () => {
    const deep = `{"input":${"[".repeat(50_000)}${"]".repeat(50_000)}}`;
    for (const [method, path] of [
      ["POST", "/gpu_worker/run_sync"],
      ["POST", "/gpu_worker/run"],
      ["PUT", "/api/routes/echo"],
    ] as const) {
      const res = await request(`${url}${path}`, {
        method,
        body: deep,
        headers: { "content-type": "application/json" },
      });
      expect(res.status, path).toBe(400);
      expect((res.body as { error: string }).error).toContain("deeper than 512 levels");
    }
    await stillServing();
  });

  it("input nested 500 deep is still served", async () => {
    const input = JSON.parse(`${"[".repeat(500)}"ok"${"]".repeat(500)}`);
    const res = await request(`${url}/gpu_worker/run_sync`, { json: { input } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "COMPLETED", output: { result: "processed", input } });
  });

  it("413 over RunPod's limits: 10 MB /run, 20 MB /run_sync, 30 MB LB", async () => {
    const mb = (n: number) => JSON.stringify({ input: "x".repeat(n * 1024 * 1024) });
    const run = await request(`${url}/gpu_worker/run`, {
      body: mb(10.5),
      headers: { "content-type": "application/json" },
    });
    expect(run.status).toBe(413);
    expect((run.body as { error: string }).error).toContain("10 MB");
    const sync = await request(`${url}/gpu_worker/run_sync`, {
      body: mb(20.5),
      headers: { "content-type": "application/json" },
    });
    expect(sync.status).toBe(413);
    const lb = await request(`${url}/api/routes/echo`, {
      method: "PUT",
      body: mb(30.5),
      headers: { "content-type": "application/json" },
    });
    expect(lb.status).toBe(413);
    expect((lb.body as { error: string }).error).toContain("30 MB");
    await stillServing();
  });

  it("accepts a body just under the /run_sync limit", async () => {
    const body = JSON.stringify({ input: { prompt: "y".repeat(15 * 1024 * 1024) } });
    const res = await request(`${url}/gpu_worker/run_sync`, {
      body,
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(200);
  });
});
