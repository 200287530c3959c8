import { describe, expect, it } from "vitest";
import { devRoutesOf } from "../../src/dev/routes.ts";
import { renderServerFile } from "../../src/dev/server-file.ts";
import { routeChanges, startupTable } from "../../src/dev/table.ts";
import { resource, scanOf } from "./fake-scan.ts";

const scan = scanOf("/p", [
  resource("gpu_worker.ts", [{ name: "process" }]),
  resource("preprocess/first_pass.ts", [{ name: "first_pass_fn", method: "POST", path: "/compute" }], true),
]);
const routes = devRoutesOf(scan);

describe("startup table", () => {
  it("has the PRD 8.1 shape, where QB runs and the docs link", () => {
    const text = startupTable({ url: "http://127.0.0.1:8888", routes, executesOn: "local workers" });
    const lines = text.split("\n");
    expect(lines[0]).toBe("Flash Dev Server  http://127.0.0.1:8888");
    // The same columns as `flash routes`, aligned by the same table.
    expect(lines.slice(2, 7)).toEqual([
      "  Method    Local path                        Resource                 Type    Source",
      "  ──────    ──────────────────────────────    ─────────────────────    ────    ──────────────────────────",
      "  POST      /gpu_worker/run                   gpu_worker               QB      gpu_worker.ts:5",
      "  POST      /gpu_worker/run_sync              gpu_worker               QB      gpu_worker.ts:5",
      "  POST      /preprocess/first_pass/compute    preprocess_first_pass    LB      preprocess/first_pass.ts:5",
    ]);
    expect(text).toContain("QB functions execute on: local workers");
    expect(text).toContain("Visit http://127.0.0.1:8888/docs for Swagger UI");
    // The PRD's rows only; one line says what else each QB prefix serves.
    expect(lines.filter((l) => /^\s+(GET|POST)\s/.test(l) && l.includes("runsync"))).toEqual([]);
    expect(text).toContain(
      "Each QB prefix is a RunPod endpoint: also /runsync, /status/{id}, /status-sync/{id}, /stream/{id}, /cancel/{id}, /retry/{id}, /purge-queue, /health",
    );
  });

  it("says when the asked port was taken", () => {
    const text = startupTable({
      url: "u",
      routes,
      executesOn: "x",
      portNote: "Port 8888 is taken; using 8889.",
    });
    expect(text.split("\n")[1]).toBe("Port 8888 is taken; using 8889.");
  });

  it("lists added and removed routes", () => {
    const fewer = devRoutesOf(scanOf("/p", [resource("gpu_worker.ts", [{ name: "process" }])]));
    expect(routeChanges(routes, fewer)).toEqual([
      "  - POST    /preprocess/first_pass/compute    preprocess_first_pass    LB    preprocess/first_pass.ts:5",
    ]);
    expect(routeChanges(fewer, routes)).toEqual([
      "  + POST    /preprocess/first_pass/compute    preprocess_first_pass    LB    preprocess/first_pass.ts:5",
    ]);
    // Several changed routes are aligned in columns.
    const none = devRoutesOf(scanOf("/p", [resource("x.ts", [{ name: "y" }])]));
    const lines = routeChanges(none, routes).filter((l) => l.startsWith("  +"));
    expect(
      new Set(lines.map((l) => (l.indexOf(" QB") === -1 ? l.indexOf(" LB") : l.indexOf(" QB")))).size,
    ).toBe(1);
    expect(routeChanges(routes, routes)).toEqual([]);
  });
});

describe(".flash/server.ts", () => {
  it("imports each routed function and lists its routes by file", () => {
    const text = renderServerFile(scan, routes);
    expect(text).toContain('import { process as gpu_worker__process } from "../gpu_worker.ts";');
    expect(text).toContain("// QB: gpu_worker.ts");
    expect(text).toContain("// LB: preprocess/first_pass.ts");
    expect(text).toContain('path: "/preprocess/first_pass/compute", type: "LB"');
    expect(text).toContain('tag: "gpu_worker [QB]"');
    expect(text).not.toMatch(/path: "[^"]*\/status\//);
    expect(text).toContain("status-sync/{id}");
  });
});
