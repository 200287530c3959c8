import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import {
  CpuLiveLoadBalancer,
  getRemoteMeta,
  LiveServerless,
  type RemoteFunction,
  remote,
} from "../../src/sdk/index.ts";
import { assertJsonSafe } from "../../src/sdk/json-safe.ts";
import { setDispatcher } from "../../src/sdk/remote.ts";

afterEach(() => setDispatcher(undefined));

describe("remote()", () => {
  it("returns an async function with the same input and output types (QB)", async () => {
    const fn = remote(new LiveServerless(), async (input: { a: number }) => ({ doubled: input.a * 2 }));
    expectTypeOf(fn).parameter(0).toEqualTypeOf<{ a: number }>();
    expectTypeOf(fn).returns.toEqualTypeOf<Promise<{ doubled: number }>>();
    expectTypeOf(fn).toMatchTypeOf<RemoteFunction<{ a: number }, { doubled: number }>>();
    // Outside flash run and workers it runs in-process, through JSON.
    expect(await fn({ a: 21 })).toEqual({ doubled: 42 });
    expect(getRemoteMeta(fn)?.kind).toBe("qb");
  });

  it("turns undefined into null, as a worker would", async () => {
    const fn = remote(new LiveServerless(), async () => undefined);
    expect(await fn(undefined)).toBeNull();
  });

  it("sends calls through the installed dispatcher", async () => {
    const seen: unknown[] = [];
    setDispatcher({
      call: async (meta, input) => {
        seen.push([meta.kind, input]);
        return "dispatched";
      },
    });
    const fn = remote(new LiveServerless(), async (x: number) => x);
    expect(await fn(5)).toBe("dispatched");
    expect(seen).toEqual([["qb", 5]]);
  });

  it("returns LB handlers themselves, marked with method and path", async () => {
    const handler = async (body: { q: string }) => ({ echo: body.q });
    const route = remote(new CpuLiveLoadBalancer(), { method: "get", path: "/items/{id}" }, handler);
    expect(route).toBe(handler);
    expect(getRemoteMeta(route)).toMatchObject({ kind: "lb", method: "GET", path: "/items/{id}" });
    expect(await route({ q: "x" }, {} as never)).toEqual({ echo: "x" });
  });

  it("rejects bad arguments clearly", () => {
    expect(() => remote({} as never, async () => 1)).toThrowError(
      "remote(): the first argument must be a resource config.",
    );
    expect(() => remote(new CpuLiveLoadBalancer(), { method: "GET" }, async () => 1)).toThrowError(
      'remote(): a load-balanced route needs a path, e.g. { path: "/compute" }.',
    );
    expect(() => remote(new LiveServerless(), { deps: [] } as never, async () => 1)).toThrowError(
      'remote(): unknown option "deps"; allowed: dependencies, systemDependencies, method, path.',
    );
  });

  it("rejects inputs that cannot cross the wire, naming the path", async () => {
    const fn = remote(new LiveServerless(), async (x: unknown) => x);
    await expect(fn({ a: [1, { f: () => 1 }] })).rejects.toThrowError(
      "the input cannot be sent as JSON: $.a[1].f is a function.",
    );
  });
});

describe("assertJsonSafe", () => {
  it.each([
    [{ n: 1n }, "$.n is a bigint"],
    [{ s: Symbol("x") }, "$.s is a symbol"],
    [{ m: new Map() }, "$.m is a Map"],
    [[Number.NaN], "$[0] is NaN"],
  ])("rejects %o", (value, found) => {
    expect(() => assertJsonSafe(value, "x")).toThrowError(`x cannot be sent as JSON: ${found}.`);
  });

  it("rejects cycles and accepts dates and nested plain data", () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => assertJsonSafe(a, "x")).toThrowError(
      "x cannot be sent as JSON: $.self is a circular reference.",
    );
    expect(() => assertJsonSafe({ d: new Date(0), list: [1, "a", null, { ok: true }] }, "x")).not.toThrow();
  });
});
