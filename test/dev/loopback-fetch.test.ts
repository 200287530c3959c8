import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loopbackFetch } from "../../src/dev/loopback-fetch.ts";

describe("loopbackFetch", () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === "/slow") return; // never answers
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        res.writeHead(req.url === "/missing" ? 404 : 200, {
          "content-type": "application/json",
          "x-id": "7",
        });
        res.end(
          JSON.stringify({
            method: req.method,
            auth: req.headers.authorization,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it("sends method, headers and body and reads status, headers and text", async () => {
    const res = await loopbackFetch(`${base}/v2/x/runsync?wait=10`, {
      method: "POST",
      headers: { authorization: "Bearer k", "content-type": "application/json" },
      body: '{"input":1}',
    });
    expect(res.ok).toBe(true);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-id")).toBe("7");
    expect(JSON.parse(await res.text())).toEqual({ method: "POST", auth: "Bearer k", body: '{"input":1}' });
    const missing = await loopbackFetch(`${base}/missing`);
    expect(missing.ok).toBe(false);
    expect(missing.status).toBe(404);
  });

  it("rejects when its signal aborts", async () => {
    const controller = new AbortController();
    const pending = loopbackFetch(`${base}/slow`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toThrow();
  });
});
