import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { readBody } from "../../src/shared/read-body.ts";

const LIMIT = 1000;
/** What a handler saw: readBody's answer and whether the request had ended. */
type Seen = { size: number; tooLarge: boolean; complete: boolean }[];
let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A server answering every request with what readBody gave its handler; `seen` gets each result. */
async function serve(seen: Seen): Promise<number> {
  server = createServer(async (req, res) => {
    const { body, tooLarge } = await readBody(req, LIMIT);
    seen.push({ size: body.length, tooLarge, complete: req.complete });
    if (!req.complete) return;
    res.writeHead(tooLarge ? 413 : 200, { "content-type": "text/plain" }).end(String(body.length));
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/** POSTs `size` bytes and returns the status, or the client's error code when the connection breaks. */
function post(port: number, size: number): Promise<number | string> {
  return new Promise((resolve) => {
    const req = httpRequest({ port, host: "127.0.0.1", method: "POST", path: "/" }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? "error"));
    req.end(Buffer.alloc(size, 97));
  });
}

describe("readBody", () => {
  it("gives the whole body up to the limit", async () => {
    const seen: Seen = [];
    const port = await serve(seen);
    expect(await post(port, LIMIT)).toBe(200);
    expect(seen).toEqual([{ size: LIMIT, tooLarge: false, complete: true }]);
  });

  it("reads and drops a body a little over the limit, so the answer is a 413 on the same connection", async () => {
    const seen: Seen = [];
    const port = await serve(seen);
    expect(await post(port, LIMIT * 2)).toBe(413);
    expect(seen).toMatchObject([{ tooLarge: true, complete: true }]);
    expect(await post(port, 10)).toBe(200);
  });

  it("stops reading a body far over the limit instead of draining it, and the handler still returns", async () => {
    const seen: Seen = [];
    const port = await serve(seen);
    // The connection is cut, not answered: draining a megabyte to say 413 is what this avoids.
    expect(await post(port, LIMIT * 1000)).toMatch(/^E[A-Z]+$/);
    await expect.poll(() => seen.length).toBe(1);
    expect(seen[0]).toMatchObject({ tooLarge: true });
    expect(await post(port, 10)).toBe(200);
  });

  it("returns when the client goes away mid-body, instead of waiting forever", async () => {
    const seen: Seen = [];
    const port = await serve(seen);
    const req = httpRequest({
      port,
      host: "127.0.0.1",
      method: "POST",
      path: "/",
      headers: { "content-length": String(LIMIT) },
    });
    req.on("error", () => {});
    req.write(Buffer.alloc(100, 97));
    await new Promise((r) => setTimeout(r, 50));
    req.destroy();
    await expect.poll(() => seen.length).toBe(1);
    expect(seen[0]).toEqual({ size: 0, tooLarge: false, complete: false });
  });
});
