import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messageFromBody, redact, runpodUrls, sendRequest } from "../../src/cloud/http.ts";
import { isFlashError } from "../../src/shared/errors.ts";

describe("runpodUrls", () => {
  it("uses RunPod's hosts when RUNPOD_API_URL is unset", () => {
    const urls = runpodUrls({});
    expect(urls.graphql).toBe("https://api.runpod.io/graphql");
    expect(urls.queue).toBe("https://api.runpod.ai/v2");
    expect(urls.lb("abc")).toBe("https://abc.api.runpod.ai");
    expect(urls.emulatorOrigin).toBeUndefined();
  });

  it.each(["http://127.0.0.1:8787", "http://127.0.0.1:8787/", "http://127.0.0.1:8787/graphql"])(
    "puts every route under the emulator origin given as %s",
    (value) => {
      const urls = runpodUrls({ RUNPOD_API_URL: value });
      expect(urls.graphql).toBe("http://127.0.0.1:8787/graphql");
      expect(urls.queue).toBe("http://127.0.0.1:8787/v2");
      expect(urls.lb("abc")).toBe("http://127.0.0.1:8787/lb/abc");
      expect(urls.emulatorOrigin).toBe("http://127.0.0.1:8787");
    },
  );

  it("rejects a value that is not an http(s) URL", () => {
    expect(() => runpodUrls({ RUNPOD_API_URL: "localhost:8787" })).toThrow(/http\(s\) URL/);
    expect(() => runpodUrls({ RUNPOD_API_URL: "not a url" })).toThrow(/not a URL/);
  });
});

describe("messageFromBody", () => {
  it.each([
    ['{"errors":[{"message":"a"},{"message":"b"}]}', "a; b"],
    ['{"message":"rest v1"}', "rest v1"],
    ['{"title":"Bad","detail":"rest v2 detail","status":400}', "rest v2 detail"],
    ['{"error":"plain"}', "plain"],
    ["<Error><Code>X</Code><Message>s3 says no</Message></Error>", "s3 says no"],
    ["just text", "just text"],
    ["", undefined],
  ])("extracts RunPod's message from %s", (body, expected) => {
    expect(messageFromBody(body)).toBe(expected);
  });
});

describe("redact", () => {
  it("removes secrets and credential query parameters", () => {
    expect(redact("key abcd1234 in https://h/x?api_key=zzz&token=t1&a=1", ["abcd1234"])).toBe(
      "key [redacted] in https://h/x?api_key=[redacted]&token=[redacted]&a=1",
    );
  });
});

describe("sendRequest", () => {
  let server: Server;
  let origin: string;
  const seen: { path: string; auth?: string }[] = [];
  let statuses: number[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ path: req.url ?? "", auth: req.headers.authorization });
      req.resume();
      if (req.url?.startsWith("/hang")) return; // never answers
      const status = statuses.shift() ?? 200;
      res.writeHead(status, status === 429 ? { "retry-after": "0" } : {});
      res.end(status === 200 ? "ok" : JSON.stringify({ message: `status ${status}` }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const fast = { retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 2 } };

  it("sends the key as a Bearer header and returns the body", async () => {
    seen.length = 0;
    const res = await sendRequest(
      { operation: "op", url: `${origin}/x`, method: "GET", apiKey: "k1", idempotent: true },
      fast,
    );
    expect(res.text).toBe("ok");
    expect(seen).toEqual([{ path: "/x", auth: "Bearer k1" }]);
  });

  it("maps 403 to RUNPOD_AUTH, other 4xx to RUNPOD_API without retrying", async () => {
    seen.length = 0;
    statuses = [403];
    const auth = await sendRequest(
      { operation: "op", url: `${origin}/a`, method: "GET", idempotent: true },
      fast,
    ).catch((e: unknown) => e);
    expect(isFlashError(auth, "RUNPOD_AUTH")).toBe(true);
    statuses = [404];
    const missing = await sendRequest(
      { operation: "getThing", url: `${origin}/b`, method: "GET", idempotent: true },
      fast,
    ).catch((e: unknown) => e);
    expect((missing as Error).message).toBe("RunPod getThing failed: HTTP 404: status 404.");
    expect(seen).toHaveLength(2);
  });

  it("retries an idempotent request that gets no answer within the timeout", async () => {
    seen.length = 0;
    const err = await sendRequest(
      { operation: "listThings", url: `${origin}/hang`, method: "POST", idempotent: true },
      { retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 1 }, timeoutMs: 100 },
    ).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^RunPod listThings failed: no response within 100 ms/);
    expect((err as Error).message).not.toMatch(/may or may not/);
    expect(seen).toHaveLength(2);
  });

  it("does not retry a mutation that timed out, and says its outcome is unknown", async () => {
    seen.length = 0;
    const err = await sendRequest(
      { operation: "createThing", url: `${origin}/hang`, method: "POST", idempotent: false },
      { retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 1 }, timeoutMs: 100 },
    ).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/no response within 100 ms.*may or may not have been applied/);
    expect(seen).toHaveLength(1);
  });

  it("honours the abort signal between retries", async () => {
    statuses = [503, 503, 503, 503];
    const controller = new AbortController();
    controller.abort();
    const err = await sendRequest(
      { operation: "op", url: `${origin}/c`, method: "GET", idempotent: true, signal: controller.signal },
      fast,
    ).catch((e: unknown) => e);
    expect(isFlashError(err, "ABORTED")).toBe(true);
    statuses = [];
  });
});
