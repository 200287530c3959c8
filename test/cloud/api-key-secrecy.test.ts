import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { connectControlPlane } from "../../src/cloud/control-plane.ts";
import { resolveApiKey } from "../../src/cloud/credentials.ts";
import { listEndpoints } from "../../src/cloud/endpoints.ts";
import { GraphqlClient } from "../../src/cloud/graphql-client.ts";
import type { HttpEvent } from "../../src/cloud/http.ts";
import { type ControlPlaneServer, startControlPlane } from "../emulator/graphql/serve.ts";

/**
 * The API key must never reach an error message, a hint, an error's properties, an event or the
 * terminal — even when a (misbehaving) server echoes it back. Every failure path is driven here and
 * everything observable is searched for the key.
 */

const KEY = "rpa_LEAKCHECK_0123456789abcdefXYZ";
const FAST_RETRY = { retries: 2, baseDelayMs: 1, maxDelayMs: 2 };

let echo: Server;
let echoOrigin: string;
let locked: ControlPlaneServer;
const events: HttpEvent[] = [];
const printed: string[] = [];

beforeAll(async () => {
  // A server that puts whatever key it was sent into its answers, in every shape an error can take.
  echo = createServer((req, res) => {
    const sent = req.headers.authorization?.replace(/^Bearer /, "") ?? "";
    req.resume();
    req.on("end", () => {
      const path = req.url ?? "";
      if (path === "/graphql-error") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ data: null, errors: [{ message: `key ${sent} is not allowed here` }] }));
      } else if (path === "/server-error") {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ message: `crashed handling ${sent}` }));
      } else if (path === "/text-error") {
        res.writeHead(400, { "content-type": "text/plain" });
        res.end(`Bad request from Bearer ${sent}`);
      } else if (path === "/auth-message") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ errors: [{ message: `Unauthorized: ${sent}` }] }));
      } else if (path === "/bad-shape") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ data: { myself: { endpoints: [{ id: sent, name: 42 }] } } }));
      } else {
        res.writeHead(200, { "content-type": "text/html" });
        res.end(`<html>${sent}</html>`);
      }
    });
  });
  await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
  echoOrigin = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
  locked = await startControlPlane({ apiKey: "some-other-key" });
  const capture = (chunk: unknown) => {
    printed.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, "write").mockImplementation(capture);
  vi.spyOn(process.stderr, "write").mockImplementation(capture);
  for (const method of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) =>
      printed.push(args.map(String).join(" ")),
    );
  }
});

afterAll(async () => {
  vi.restoreAllMocks();
  echo.closeAllConnections();
  await new Promise<void>((resolve) => echo.close(() => resolve()));
  await locked.close();
});

function client(path: string): GraphqlClient {
  return new GraphqlClient({
    apiKey: KEY,
    url: `${echoOrigin}${path}`,
    retry: FAST_RETRY,
    onEvent: (e) => events.push(e),
  });
}

function expectNoKey(err: unknown): void {
  expect(err).toBeInstanceOf(Error);
  const everything = [
    inspect(err, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
    JSON.stringify(err),
    String((err as Error).message),
    String((err as { hint?: unknown }).hint),
    String((err as Error).stack),
  ].join("\n");
  expect(everything).not.toContain(KEY);
}

describe("the API key never leaks", () => {
  it.each(["/graphql-error", "/server-error", "/text-error", "/auth-message", "/bad-shape", "/html"])(
    "through errors when the server at %s echoes it",
    async (path) => {
      const err = await listEndpoints(client(path)).catch((e: unknown) => e);
      expectNoKey(err);
    },
  );

  it("through a 401 from the emulator", async () => {
    const cp = await connectControlPlane({
      env: { RUNPOD_API_URL: locked.origin, RUNPOD_API_KEY: KEY },
      http: { onEvent: (e) => events.push(e) },
    });
    const err = await cp.saveEndpoint({ name: "x", templateId: "t" }).catch((e: unknown) => e);
    expectNoKey(err);
  });

  it("through network errors", async () => {
    const server = await startControlPlane();
    const origin = server.origin;
    await server.close();
    const err = await listEndpoints(
      new GraphqlClient({
        apiKey: KEY,
        url: `${origin}/graphql`,
        retry: FAST_RETRY,
        onEvent: (e) => events.push(e),
      }),
    ).catch((e: unknown) => e);
    expectNoKey(err);
  });

  it("through an unreadable credentials file that contains it", async () => {
    const home = await mkdtemp(join(tmpdir(), "flash-secrecy-"));
    try {
      await mkdir(join(home, ".runpod"));
      await writeFile(join(home, ".runpod", "config.toml"), `apikey = "${KEY}\n`);
      const err = await resolveApiKey({ env: {}, home }).catch((e: unknown) => e);
      expectNoKey(err);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it("through retry events, and nothing is printed", () => {
    expect(events.some((e) => e.type === "retry")).toBe(true);
    expect(JSON.stringify(events)).not.toContain(KEY);
    expect(printed.join("\n")).not.toContain(KEY);
  });
});
