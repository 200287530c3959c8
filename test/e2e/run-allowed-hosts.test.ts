import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ServedFixture, serveFixture } from "../dev/cli-process.ts";
import { rawRequest } from "../helpers/raw-http.ts";

/** `flash run --allowed-hosts`: the named host is served, others still get the 403 that says how to allow them. */
describe("flash run --allowed-hosts", () => {
  let served: ServedFixture | undefined;

  beforeAll(async () => {
    served = await serveFixture("run-prd", [
      "run",
      "--port",
      "0",
      "--no-reload",
      "--allowed-hosts",
      ".dev.test",
    ]);
  }, 90_000);
  afterAll(() => served?.close());

  it("serves a subdomain of a leading-dot entry and refuses any other name", async () => {
    const url = served!.url;
    const port = new URL(url).port;
    const named = await rawRequest(
      url,
      "POST",
      "/gpu_worker/run_sync",
      { host: `box.dev.test:${port}`, "content-type": "application/json" },
      JSON.stringify({ input: { prompt: "hi" } }),
    );
    expect(named.status).toBe(200);
    expect(named.json).toMatchObject({ status: "COMPLETED" });
    const other = await rawRequest(url, "GET", "/ping", { host: `evil.example:${port}` });
    expect(other.status).toBe(403);
    expect(other.json.error).toContain("start it with --allowed-hosts evil.example");
    expect(await rawRequest(url, "GET", "/ping", {})).toEqual({ status: 200, json: { status: "healthy" } });
  });
});
