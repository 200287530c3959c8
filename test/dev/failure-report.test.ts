import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { codeFrame, failureReport, projectFrameOfStack } from "../../src/dev/failure-report.ts";
import { withoutFlashFrames } from "../../src/dev/user-stack.ts";

const root = mkdtempSync(join(tmpdir(), "flash-frame-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
writeFileSync(
  join(root, "w.ts"),
  ["const a = 1;", "function f() {", "\tthrow new Error('x');", "}", "f();", ""].join("\n"),
);

describe("failure reports", () => {
  it("a code frame numbers the lines around the failing one and puts a caret under the column, tabs kept", () => {
    expect(codeFrame(join(root, "w.ts"), 3, 2)).toBe(
      [
        "    1 | const a = 1;",
        "    2 | function f() {",
        "  > 3 | \tthrow new Error('x');",
        "      | \t^",
        "    4 | }",
        "    5 | f();",
      ].join("\n"),
    );
    expect(codeFrame(join(root, "gone.ts"), 3, 2)).toBe("");
    expect(codeFrame(join(root, "w.ts"), 99, 1)).toBe("");
  });

  it("the first project frame skips node_modules, .flash and files outside the project", () => {
    const stack = [
      "Error: x",
      `    at dep (${root}/node_modules/dep/index.js:1:1)`,
      `    at gen (${root}/.flash/dev/x.mjs:2:2)`,
      "    at other (/elsewhere/y.ts:3:3)",
      `    at f (file://${root}/w.ts:3:2)`,
    ].join("\n");
    expect(projectFrameOfStack(stack, root)).toEqual({ file: "w.ts", line: 3, column: 2 });
  });

  it("one line names route, function, message and file:line, then the frame", () => {
    const report = failureReport({
      method: "POST",
      path: "/w/run_sync",
      fn: "f",
      message: "x\nmore",
      stack: `Error: x\n    at f (${root}/w.ts:3:2)`,
      root,
    });
    expect(report.split("\n")[0]).toBe("✗ POST /w/run_sync f() failed: x … (w.ts:3:2)");
    expect(report).toContain("> 3 | \tthrow new Error('x');");
  });

  it("Flash's own frames and Node's internals are dropped from a stack, the user's and their packages' kept", () => {
    const stack = [
      "Error: boom",
      "    at user (/app/w.ts:3:2)",
      "    at pkg (/app/node_modules/lodash/index.js:9:9)",
      "    at run (/app/node_modules/runpod-flash/dist/chunks/executor-thread-X.js:43:26)",
      "    at call (/home/u/p/node_modules/runpod-flash/src/cloud/queue-call.ts:70:11)",
      "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
      "    at async Promise.all (index 0)",
    ].join("\n");
    expect(withoutFlashFrames(stack)).toBe(
      [
        "Error: boom",
        "    at user (/app/w.ts:3:2)",
        "    at pkg (/app/node_modules/lodash/index.js:9:9)",
        "    at async Promise.all (index 0)",
      ].join("\n"),
    );
  });
});

describe("worker lifecycle lines", () => {
  it("stopping and listening lines are lifecycle (shown with --verbose only); worker output and failures are not", async () => {
    const { isLifecycleLine } = await import("../../src/dev/targets.ts");
    expect(isLifecycleLine("[live-gpu-ab12 w3] stopping: idle for 5 s")).toBe(true);
    expect(isLifecycleLine("[live-gpu-ab12 w3] stopping: endpoint deleted")).toBe(true);
    expect(isLifecycleLine("emulator listening on http://127.0.0.1:4321")).toBe(true);
    expect(isLifecycleLine("[live-gpu-ab12 w3] loading model")).toBe(false);
    expect(isLifecycleLine("[live-gpu-ab12 w3] worker exited unexpectedly (signal SIGKILL)")).toBe(false);
  });
});
