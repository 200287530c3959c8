import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { readJsonBody, sendJson, sendReply, unroutedReply } from "../../src/shared/http/reply.ts";
import { Router } from "../../src/shared/http/router.ts";

/** The routing core all three servers use (dev server, emulator, LB worker runtime). */
describe("Router", () => {
  const router = new Router([
    { method: "GET", path: "/", handler: "root" },
    { method: "GET", path: "/items/{id}", handler: "item" },
    { method: "PUT", path: "/items/{id}", handler: "put" },
    { method: "GET", path: "/items/special", handler: "special" },
    { method: "POST", path: "/v2/{endpointId}/run", handler: "run" },
    { method: "GET", path: "/v2/{endpointId}/status/{jobId}", handler: "status" },
    { method: "POST", path: "/lb/{endpointId}/{path*}", handler: "lb" },
  ]);

  it("matches literal segments before parameters, and decodes parameters", () => {
    expect(router.match("GET", "/items/special")).toMatchObject({
      kind: "found",
      handler: "special",
      params: {},
    });
    expect(router.match("GET", "/items/42")).toMatchObject({
      kind: "found",
      handler: "item",
      params: { id: "42" },
    });
    expect(router.match("GET", "/items/a%20b%2Fc")).toMatchObject({ params: { id: "a b/c" } });
    expect(router.match("GET", "/v2/ep1/status/j-9")).toMatchObject({
      handler: "status",
      params: { endpointId: "ep1", jobId: "j-9" },
    });
  });

  it("ignores one trailing slash", () => {
    expect(router.match("GET", "/items/42/")).toMatchObject({ kind: "found", handler: "item" });
    expect(router.match("POST", "/v2/ep/run/")).toMatchObject({ kind: "found", handler: "run" });
    expect(router.match("GET", "/")).toMatchObject({ kind: "found", handler: "root" });
    expect(router.match("GET", "//")).toEqual({ kind: "none" });
    expect(router.match("GET", "/items/42//")).toEqual({ kind: "none" });
  });

  it("tells 405 (with the allowed methods, HEAD for GET) from 404", () => {
    expect(router.match("DELETE", "/items/1")).toEqual({ kind: "method", allowed: ["GET", "PUT", "HEAD"] });
    expect(router.match("GET", "/v2/ep/run")).toEqual({ kind: "method", allowed: ["POST"] });
    expect(router.match("GET", "/nope")).toEqual({ kind: "none" });
    expect(router.match("GET", "/items")).toEqual({ kind: "none" });
    expect(router.match("GET", "/items/1/2")).toEqual({ kind: "none" });
    expect(router.match("GET", "/items//")).toEqual({ kind: "none" });
  });

  it("answers HEAD with GET routes", () => {
    expect(router.match("HEAD", "/items/3")).toMatchObject({ kind: "found", handler: "item" });
    expect(router.match("HEAD", "/")).toMatchObject({ kind: "found", handler: "root" });
  });

  it("hands the rest of the path to a {rest*} segment, empty included", () => {
    expect(router.match("POST", "/lb/ep/a/b/c")).toMatchObject({
      handler: "lb",
      params: { endpointId: "ep", path: "a/b/c" },
    });
    expect(router.match("POST", "/lb/ep")).toMatchObject({ handler: "lb", params: { path: "" } });
  });

  it("refuses malformed percent-encoding as its own case (a 400)", () => {
    const m = router.match("GET", "/items/%ZZ");
    expect(m.kind).toBe("malformed");
    expect(m.kind === "malformed" && unroutedReply(m, "GET", "/items/%ZZ").status).toBe(400);
  });

  it("refuses a table with two routes for one method and shape", () => {
    expect(
      () =>
        new Router([
          { method: "GET", path: "/a/{x}", handler: 1 },
          { method: "GET", path: "/a/{x}", handler: 2 },
        ]),
    ).toThrow("two routes for GET /a/{x}");
    expect(
      () =>
        new Router([
          { method: "GET", path: "/a/{x}", handler: 1 },
          { method: "GET", path: "/a/{y}/b", handler: 2 },
        ]),
    ).toThrow("clashes");
  });

  it("words 404 and 405 answers the same for every server", () => {
    expect(unroutedReply({ kind: "none" }, "GET", "/x", "See /docs.")).toEqual({
      status: 404,
      body: { error: "No route GET /x. See /docs." },
    });
    expect(unroutedReply({ kind: "method", allowed: ["POST"] }, "GET", "/run")).toEqual({
      status: 405,
      headers: { allow: "POST" },
      body: { error: "Method GET is not allowed on /run; use POST." },
    });
  });
});

describe("readJsonBody", () => {
  const serve = async (limit: number, send: (url: string) => Promise<Response>) => {
    const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
      const body = await readJsonBody(req, { limit, label: "the test limit", maxDepth: 4 });
      if (body.ok) sendJson(res, 200, { value: body.value ?? "empty" });
      else if (body.reply) sendReply(res, body.reply);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      return await send(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    } finally {
      await new Promise((r) => server.close(r));
    }
  };
  const post =
    (body: string | undefined, type = "application/json") =>
    (url: string) =>
      fetch(url, { method: "POST", body, headers: body === undefined ? {} : { "content-type": type } });

  it("reads JSON, an empty body as none", async () => {
    expect(await (await serve(100, post('{"a": [1]}'))).json()).toEqual({ value: { a: [1] } });
    expect(await (await serve(100, post(undefined))).json()).toEqual({ value: "empty" });
  });

  it("answers 413 naming the limit, 415 for other types, 400 for bad or too deep JSON", async () => {
    const big = await serve(10, post('{"a": "0123456789"}'));
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual({ error: "The body is too large (over the test limit)." });
    expect((await serve(100, post("{}", "text/plain"))).status).toBe(415);
    const bad = await serve(100, post("{nope"));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain("not valid JSON");
    const deep = await serve(100, post("[[[[[[1]]]]]]"));
    expect(deep.status).toBe(400);
    expect(((await deep.json()) as { error: string }).error).toContain("deeper than 4 levels");
  });
});
