import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { afterEach, expect, test } from "vitest";
import { httpRequest } from "../../src/runtime/http-client.ts";

/** The worker's HTTP client (its minimal HTTP/1.1 path for http: URLs) against node:http and raw servers. */

const servers: (Server | NetServer)[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    (s as Server).closeAllConnections?.();
    await new Promise((r) => s.close(r));
  }
});

async function httpServer(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => {
      body += c;
    });
    req.on("end", () => handler(req, res, body));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A server that answers every request with `answer` bytes, as written. */
async function rawServer(answer: (socket: Socket, request: string) => void) {
  const server = createNetServer((socket) => {
    let buf = "";
    socket.on("data", (c) => {
      buf += c.toString("latin1");
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = buf.slice(0, end);
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
      if (buf.length < end + 4 + length) return;
      const request = buf.slice(0, end + 4 + length);
      buf = buf.slice(end + 4 + length);
      answer(socket, request);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test("GET and POST with headers, body, query and status, on reused connections", async () => {
  const seen: string[] = [];
  const url = await httpServer((req, res, body) => {
    seen.push(
      `${req.method} ${req.url} ${req.headers.authorization} ${req.headers["content-length"] ?? "-"} ${body}`,
    );
    res.writeHead(req.method === "GET" ? 204 : 201, { "content-type": "application/json" });
    res.end(req.method === "GET" ? undefined : JSON.stringify({ got: body }));
  });
  for (let i = 0; i < 3; i++) {
    const get = await httpRequest(`${url}/a/b?x=1&y=${i}`, {
      method: "GET",
      headers: { authorization: "k" },
      timeoutMs: 5000,
    });
    expect(get).toMatchObject({ status: 204, contentType: "application/json" });
    expect(get.body.length).toBe(0);
    const post = await httpRequest(`${url}/done`, {
      method: "POST",
      headers: { authorization: "k" },
      body: '{"é":1}',
      timeoutMs: 5000,
    });
    expect(post.status).toBe(201);
    expect(JSON.parse(post.body.toString("utf8"))).toEqual({ got: '{"é":1}' });
  }
  expect(seen[0]).toBe("GET /a/b?x=1&y=0 k - ");
  expect(seen[1]).toBe('POST /done k 8 {"é":1}');
});

test("chunked answers, large answers and answers read until the connection closes", async () => {
  const big = "x".repeat(3 * 1024 * 1024);
  const url = await httpServer((req, res) => {
    if (req.url === "/chunked") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("hello ");
      setTimeout(() => res.end("world"), 10);
    } else res.end(big);
  });
  const chunked = await httpRequest(`${url}/chunked`, { method: "GET", timeoutMs: 5000 });
  expect(chunked.body.toString()).toBe("hello world");
  const large = await httpRequest(`${url}/big`, { method: "GET", timeoutMs: 5000 });
  expect(large.body.length).toBe(big.length);

  const eof = await rawServer((socket) =>
    socket.end("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil the end"),
  );
  const r = await httpRequest(`${eof}/`, { method: "GET", timeoutMs: 5000 });
  expect(r).toMatchObject({ status: 200, contentType: "text/plain" });
  expect(r.body.toString()).toBe("until the end");
});

test("a kept connection the server closed is replaced without failing the request", async () => {
  let requests = 0;
  const url = await rawServer((socket) => {
    requests++;
    // Answers as keep-alive, then closes the idle connection anyway.
    socket.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
    setTimeout(() => socket.destroy(), 20);
  });
  expect((await httpRequest(`${url}/`, { method: "GET", timeoutMs: 5000 })).body.toString()).toBe("ok");
  await new Promise((r) => setTimeout(r, 100));
  expect(
    (await httpRequest(`${url}/`, { method: "POST", body: "{}", timeoutMs: 5000 })).body.toString(),
  ).toBe("ok");
  expect(requests).toBe(2);
});

test("timeouts, aborts, refused connections and a hang-up mid-answer reject", async () => {
  const url = await rawServer((socket, request) => {
    if (request.startsWith("GET /half")) socket.end("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc");
    // anything else: never answered
  });
  await expect(httpRequest(`${url}/hang`, { method: "GET", timeoutMs: 200 })).rejects.toThrow(
    /timed out after 200 ms/,
  );
  const abort = new AbortController();
  const pending = httpRequest(`${url}/hang`, { method: "GET", timeoutMs: 60_000, signal: abort.signal });
  abort.abort();
  await expect(pending).rejects.toMatchObject({ name: "AbortError" });
  await expect(
    httpRequest(`${url}/x`, { method: "GET", timeoutMs: 1000, signal: abort.signal }),
  ).rejects.toMatchObject({ name: "AbortError" });
  await expect(httpRequest(`${url}/half`, { method: "GET", timeoutMs: 5000 })).rejects.toThrow(/hang up/);
  const closed = await rawServer(() => {});
  const port = new URL(closed).port;
  const last = servers.pop()!;
  await new Promise((r) => last.close(r));
  await expect(httpRequest(`http://127.0.0.1:${port}/`, { method: "GET", timeoutMs: 5000 })).rejects.toThrow(
    /ECONNREFUSED/,
  );
});

test("headers that are not plain ASCII go through node:http, which refuses line breaks", async () => {
  const url = await httpServer((req, res) => res.end(String(req.headers["x-name"])));
  const r = await httpRequest(`${url}/`, { method: "GET", headers: { "x-name": "Zoë" }, timeoutMs: 5000 });
  expect(r.body.toString("utf8")).toBe("Zoë");
  await expect(
    httpRequest(`${url}/`, { method: "GET", headers: { "x-request-id": "a\r\nx-evil: 1" }, timeoutMs: 5000 }),
  ).rejects.toThrow();
});
