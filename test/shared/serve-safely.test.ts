import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { serveSafely } from "../../src/shared/serve-safely.ts";

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** Serves `/sync-throw`, `/reject`, `/throw-after-headers`, `/later-throw` (a throw in an awaited callback) and `/ok`. */
async function start(errors: string[]): Promise<string> {
  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => unknown> = {
    "/sync-throw": () => {
      throw new Error("sync boom");
    },
    "/reject": async () => {
      throw new RangeError("Maximum call stack size exceeded");
    },
    "/throw-after-headers": async (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("partial");
      await new Promise((r) => setTimeout(r, 10));
      throw new Error("late boom");
    },
    "/later-throw": (req) =>
      new Promise<void>((resolve, reject) =>
        req
          .on("end", () => {
            try {
              JSON.stringify(JSON.parse(`${"[".repeat(100_000)}${"]".repeat(100_000)}`));
              resolve();
            } catch (err) {
              reject(err);
            }
          })
          .resume(),
      ),
    "/ok": (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    },
  };
  server = createServer(
    serveSafely((req, res) => routes[req.url ?? ""]!(req, res), {
      label: "test error",
      onError: (err, req) => errors.push(`${req.url}: ${(err as Error).message}`),
    }),
  );
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("serveSafely", () => {
  it("answers 500 JSON for a synchronous throw and a rejected promise, tells onError, and serves on", async () => {
    const errors: string[] = [];
    const url = await start(errors);
    for (const [path, message] of [
      ["/sync-throw", "sync boom"],
      ["/reject", "Maximum call stack size exceeded"],
      ["/later-throw", "Maximum call stack size exceeded"],
    ]) {
      const res = await fetch(`${url}${path}`, {
        method: path === "/later-throw" ? "POST" : "GET",
        body: path === "/later-throw" ? "x" : undefined,
      });
      expect(res.status).toBe(500);
      expect(res.headers.get("content-type")).toContain("application/json");
      expect(await res.json()).toEqual({ error: `test error: ${message}` });
      expect((await fetch(`${url}/ok`)).status).toBe(200);
    }
    expect(errors).toEqual([
      "/sync-throw: sync boom",
      "/reject: Maximum call stack size exceeded",
      "/later-throw: Maximum call stack size exceeded",
    ]);
  });

  it("cuts the connection when the answer had begun, and serves on", async () => {
    const errors: string[] = [];
    const url = await start(errors);
    const res = await fetch(`${url}/throw-after-headers`);
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    expect(errors).toEqual(["/throw-after-headers: late boom"]);
    expect((await fetch(`${url}/ok`)).status).toBe(200);
  });
});
