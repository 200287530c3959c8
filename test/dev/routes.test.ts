import { describe, expect, it } from "vitest";
import { checkReservedRoutes, devRoutesOf } from "../../src/dev/routes.ts";
import { routesOf } from "../../src/scan/index.ts";
import { resource, scanOf } from "./fake-scan.ts";

describe("devRoutesOf", () => {
  const scan = scanOf("/p", [
    resource("gpu_worker.ts", [{ name: "process" }]),
    resource("longruns/stage1.ts", [{ name: "pre" }, { name: "infer" }]),
    resource("my-worker.ts", [{ name: "shout" }]),
    resource(
      "api/routes.ts",
      [
        { name: "get", method: "GET", path: "/items/{id}" },
        { name: "root", path: "/" },
      ],
      true,
    ),
  ]);
  const routes = devRoutesOf(scan);

  it("lists the PRD routes in the table", () => {
    expect(routes.filter((r) => r.listed).map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /gpu_worker/run",
      "POST /gpu_worker/run_sync",
      "POST /longruns/stage1/pre/run",
      "POST /longruns/stage1/pre/run_sync",
      "POST /longruns/stage1/infer/run",
      "POST /longruns/stage1/infer/run_sync",
      "POST /my-worker/run",
      "POST /my-worker/run_sync",
      "GET /api/routes/items/{id}",
      "POST /api/routes",
    ]);
  });

  it("lists exactly the routes `flash routes` lists", () => {
    const listed = routes.filter((r) => r.listed).map((r) => `${r.method} ${r.path}`);
    expect(listed).toEqual(routesOf(scan).map((r) => `${r.method} ${r.path}`));
  });

  it("serves RunPod's queue API per QB prefix, unlisted", () => {
    const hidden = routes.filter((r) => !r.listed).map((r) => `${r.method} ${r.path}`);
    expect(hidden).toContain("POST /gpu_worker/runsync");
    expect(hidden).toContain("GET /gpu_worker/status/{id}");
    expect(hidden).toContain("GET /longruns/stage1/infer/status/{id}");
    expect(hidden).toContain("POST /longruns/stage1/infer/cancel/{id}");
    expect(hidden).toContain("GET /gpu_worker/health");
    expect(hidden).toContain("POST /gpu_worker/stream/{id}");
  });

  it("refuses routes that clash with the dev server's own paths, and only those", () => {
    const clash = (file: string, path: string) =>
      devRoutesOf(scanOf("/p", [resource(file, [{ name: "f", method: "GET", path }], true)]));
    expect(() => checkReservedRoutes(clash("ping.ts", "/"))).toThrow(
      /ping\.ts:5:14: GET \/ping is served by the dev server/,
    );
    expect(() => checkReservedRoutes(clash("docs.ts", "/"))).toThrow(/GET \/docs is served/);
    expect(() => checkReservedRoutes(clash("docs.ts", "/index.html"))).toThrow(/GET \/docs\/index\.html/);
    expect(() => checkReservedRoutes(clash("docs.ts", "/static/a.css"))).toThrow(/GET \/docs\/static/);
    expect(() => checkReservedRoutes(clash("docs.ts", "/search"))).not.toThrow();
    expect(() =>
      checkReservedRoutes(devRoutesOf(scanOf("/p", [resource("docs.ts", [{ name: "d" }])]))),
    ).not.toThrow();
    expect(() => checkReservedRoutes(routes)).not.toThrow();
  });
});
