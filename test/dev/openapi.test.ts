import { describe, expect, it } from "vitest";
import { docsAsset } from "../../src/dev/docs-assets.ts";
import { openApiDocument } from "../../src/dev/openapi.ts";
import { devRoutesOf } from "../../src/dev/routes.ts";
import { resource, scanOf } from "./fake-scan.ts";

type Operation = {
  tags: string[];
  operationId: string;
  summary: string;
  parameters?: { name: string; in: string; required: boolean }[];
  requestBody?: { content: Record<string, { example?: unknown }> };
  responses: Record<string, unknown>;
};
type Doc = { paths: Record<string, Record<string, Operation>>; tags: { name: string }[] };

/** `/openapi.json` is a pure function of the route table: tested as data. */
describe("the dev server's OpenAPI document", () => {
  const routes = devRoutesOf(
    scanOf("/p", [
      resource("gpu_worker.ts", [{ name: "process" }]),
      resource("longruns/stage1.ts", [{ name: "ok" }, { name: "fail" }]),
      resource(
        "api/routes.ts",
        [
          { name: "item", method: "GET", path: "/items/{id}" },
          { name: "create", method: "POST", path: "/items" },
        ],
        true,
      ),
    ]),
  );
  const doc = openApiDocument(routes) as unknown as Doc;
  const ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method, op })),
  );

  it("groups routes by source file as tags, with / and /ping under health", () => {
    expect(doc.tags.map((t) => t.name)).toEqual([
      "health",
      "gpu_worker [QB]",
      "longruns/stage1 [QB]",
      "api/routes [LB]",
    ]);
    expect(doc.paths["/gpu_worker/run_sync"]?.post?.tags).toEqual(["gpu_worker [QB]"]);
    expect(doc.paths["/longruns/stage1/fail/run"]?.post?.tags).toEqual(["longruns/stage1 [QB]"]);
    expect(doc.paths["/api/routes/items/{id}"]?.get?.tags).toEqual(["api/routes [LB]"]);
    expect(doc.paths["/ping"]?.get?.tags).toEqual(["health"]);
  });

  it("documents the {input} envelope on submissions, with an example Try it out sends", () => {
    for (const path of ["/gpu_worker/run", "/gpu_worker/run_sync", "/gpu_worker/runsync"]) {
      expect(doc.paths[path]?.post?.requestBody?.content["application/json"]?.example, path).toEqual({
        input: {},
      });
    }
    expect(doc.paths["/gpu_worker/run_sync"]?.post?.parameters?.map((p) => p.name)).toEqual(["wait"]);
  });

  it("documents RunPod's queue API under every QB prefix, a multi-function file's too", () => {
    for (const prefix of ["/gpu_worker", "/longruns/stage1/ok", "/longruns/stage1/fail"]) {
      expect(Object.keys(doc.paths[`${prefix}/status/{id}`] ?? {}).sort()).toEqual(["get", "post"]);
      expect(Object.keys(doc.paths[`${prefix}/stream/{id}`] ?? {}).sort()).toEqual(["get", "post"]);
      expect(doc.paths[`${prefix}/cancel/{id}`]?.post).toBeDefined();
      expect(doc.paths[`${prefix}/retry/{id}`]?.post).toBeDefined();
      expect(doc.paths[`${prefix}/purge-queue`]?.post).toBeDefined();
      expect(doc.paths[`${prefix}/health`]?.get?.summary).toContain("RunPod queue API");
    }
  });

  it("declares every path parameter as required; GET LB routes have no body", () => {
    for (const { path, op } of ops) {
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = (op.parameters ?? []).filter((p) => p.in === "path");
      expect(
        declared.map((p) => p.name),
        path,
      ).toEqual(inPath);
      expect(declared.every((p) => p.required)).toBe(true);
    }
    expect(doc.paths["/api/routes/items/{id}"]?.get?.requestBody).toBeUndefined();
    expect(doc.paths["/api/routes/items"]?.post?.requestBody).toBeDefined();
  });

  it("gives every operation a unique id", () => {
    const ids = ops.map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("Swagger UI's files", () => {
  it("serves a page that loads only local files, with a self-only CSP", async () => {
    const page = await docsAsset("/docs");
    expect(page?.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page?.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(String(page?.body)).not.toMatch(/https?:\/\//);
    expect(String(page?.body)).toContain("/docs/static/swagger-ui-bundle.js");
    expect((await docsAsset("/docs/static/swagger-ui-bundle.js"))?.headers["content-type"]).toBe(
      "text/javascript; charset=utf-8",
    );
    expect((await docsAsset("/docs/static/swagger-ui.css"))?.body.length).toBeGreaterThan(1000);
    expect(await docsAsset("/docs/static/../../package.json")).toBeUndefined();
    expect(await docsAsset("/docs/nope")).toBeUndefined();
  });
});
