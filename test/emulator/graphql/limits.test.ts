import { parse } from "graphql";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  checkDocumentText,
  checkSelections,
  GRAPHQL_LIMITS,
  type GraphqlLimits,
} from "../../../src/emulator/graphql/limits.ts";
import { call, startEmulator, type TestEmulator } from "../helpers.ts";

// Every document Flash's own control-plane client declares (src/cloud/*.ts), recorded as the
// modules declare them.
const documents = vi.hoisted(() => new Map<string, string>());
vi.mock("../../../src/cloud/graphql-client.ts", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../../src/cloud/graphql-client.ts")>();
  return {
    ...real,
    query: ((name, document, data) => {
      documents.set(name, document);
      return real.query(name, document, data);
    }) as typeof real.query,
    mutation: ((name, document, data, options) => {
      documents.set(name, document);
      return real.mutation(name, document, data, options);
    }) as typeof real.mutation,
  };
});

let emu: TestEmulator;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu.close();
});

async function graphql(query: string) {
  return call(emu, "POST", "/graphql", { query });
}

/** The emulator still answers an ordinary query. */
async function expectStillServing() {
  const r = await graphql("query { myself { id } }");
  expect(r.status).toBe(200);
  expect(r.json.data.myself.id).toBeTruthy();
}

/** A refusal: 400 with one error naming the limit and its value; the emulator answers afterwards. */
async function expectRefused(query: string, message: RegExp) {
  const r = await graphql(query);
  expect(r.status).toBe(400);
  expect(r.json.data).toBeUndefined();
  expect(r.json.errors).toHaveLength(1);
  expect(r.json.errors[0].message).toMatch(message);
  await expectStillServing();
}

describe("POST /graphql refuses documents over its limits before running them", () => {
  it("140,000 aliases: 400 naming the size limit, not a 23 s stall", async () => {
    const aliases = Array.from({ length: 140_000 }, (_, i) => `a${i}: myself { id }`).join(" ");
    await expectRefused(`query { ${aliases} }`, /102400/);
  });

  it("2,001 aliases in a small document: 400 naming the field limit", async () => {
    const aliases = Array.from({ length: 2_001 }, (_, i) => `a${i}: id`).join(" ");
    await expectRefused(`query { myself { ${aliases} } }`, /more than 2000 fields/);
  });

  it("fragments spread into 2^20 fields: 400 naming the field limit", async () => {
    const fragments = ["fragment F0 on User { id }"];
    for (let i = 1; i <= 20; i++) fragments.push(`fragment F${i} on User { ...F${i - 1} ...F${i - 1} }`);
    await expectRefused(`query { myself { ...F20 } } ${fragments.join(" ")}`, /more than 2000 fields/);
  });

  it("a fragment that spreads itself: 400, the emulator answers afterwards", async () => {
    const r = await graphql("query { myself { ...Loop } } fragment Loop on User { id ...Loop }");
    expect(r.status).toBe(400);
    await expectStillServing();
  });

  it("a 20,000-deep selection: 400 naming the nesting limit, not a 500", async () => {
    const depth = 20_000;
    await expectRefused(`query {${"a{".repeat(depth)}b${"}".repeat(depth)}}`, /more than 64 deep/);
  });

  it("20,000 nested list brackets in an argument: 400 naming the nesting limit", async () => {
    const depth = 20_000;
    await expectRefused(
      `query { myself { endpoint(id: ${"[".repeat(depth)}1${"]".repeat(depth)}) { id } } }`,
      /more than 64 deep/,
    );
  });

  it("fields 33 deep: 400 naming the depth limit", async () => {
    const depth = 33;
    await expectRefused(
      `query { ${"a { ".repeat(depth - 1)}b${" }".repeat(depth - 1)} }`,
      /more than 32 deep/,
    );
  });

  it("10,001 tokens: 400 naming the token limit", async () => {
    await expectRefused(`query { myself { ${"id ".repeat(10_001)} } }`, /more than 10000 tokens/);
  });

  it("a 101 KB document (mostly a comment): 400 naming the size limit", async () => {
    await expectRefused(`query { myself { id } } # ${"x".repeat(101 * 1024)}`, /at most 102400/);
  });

  it("a syntax error is still the parser's 400 with its location", async () => {
    const r = await graphql("query { myself { id }");
    expect(r.status).toBe(400);
    expect(r.json.errors[0].message).toMatch(/Syntax Error/);
    expect(r.json.errors[0].locations).toBeDefined();
  });

  it("a document at the limits' edge runs: 32 deep, 2,000 fields", async () => {
    // 32 levels pass the limits and reach validation (the schema has no such fields).
    const deep = await graphql(`query { ${"a { ".repeat(31)}b${" }".repeat(31)} }`);
    expect(deep.status).toBe(400);
    expect(deep.json.errors[0].message).toMatch(/Cannot query field/);
    const wide = await graphql(
      `query { myself { ${Array.from({ length: 1_999 }, (_, i) => `a${i}: id`).join(" ")} } }`,
    );
    expect(wide.status).toBe(200);
    expect(Object.keys(wide.json.data.myself)).toHaveLength(1_999);
  });
});

describe("Flash's own operations", () => {
  it("are each within a quarter of every limit", async () => {
    for (const m of [
      "control-plane",
      "endpoints",
      "flash-apps",
      "flash-builds",
      "network-volumes",
      "templates",
    ]) {
      await import(`../../../src/cloud/${m}.ts`);
    }
    expect(documents.size).toBeGreaterThan(20);
    const quarter = Object.fromEntries(
      Object.entries(GRAPHQL_LIMITS).map(([k, v]) => [k, Math.floor(v / 4)]),
    ) as unknown as GraphqlLimits;
    for (const [name, document] of documents) {
      expect(checkDocumentText(document, quarter)?.message, name).toBeUndefined();
      expect(checkSelections(parse(document), quarter)?.message, name).toBeUndefined();
    }
  });
});
