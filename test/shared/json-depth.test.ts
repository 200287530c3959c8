import { describe, expect, it } from "vitest";
import { assertJsonSafe } from "../../src/sdk/json-safe.ts";
import { hasProtoKey } from "../../src/shared/http/lb-request.ts";
import {
  CARRIER_JSON_DEPTH,
  jsonTextTooDeep,
  MAX_JSON_DEPTH,
  parseJsonLimited,
} from "../../src/shared/json-depth.ts";

const nested = (depth: number, inner = "1") => `${"[".repeat(depth)}${inner}${"]".repeat(depth)}`;
const deepValue = (depth: number, bottom: unknown = 1): unknown => {
  let v: unknown = bottom;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
};

describe("jsonTextTooDeep", () => {
  it("counts bracket depth: at the limit passes, one more is refused", () => {
    expect(jsonTextTooDeep(nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(jsonTextTooDeep(nested(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
    expect(jsonTextTooDeep(`{"a":${nested(4)}}`, 4)).toBe(true);
    expect(jsonTextTooDeep(`{"a":${nested(3)}}`, 4)).toBe(false);
  });

  it("ignores brackets inside strings, escaped quotes included", () => {
    const inString = JSON.stringify({ s: `${"[".repeat(2000)}\\"{{{${"{".repeat(2000)}` });
    expect(jsonTextTooDeep(inString, 8)).toBe(false);
    const escapedThenDeep = `["a\\"[[[\\\\", ${nested(9)}]`;
    expect(jsonTextTooDeep(escapedThenDeep, 8)).toBe(true);
    expect(jsonTextTooDeep(escapedThenDeep, 10)).toBe(false);
  });

  it("measures wide, shallow JSON as shallow, and any depth without throwing", () => {
    expect(jsonTextTooDeep(JSON.stringify(Array.from({ length: 10_000 }, (_, i) => [i, { i }])), 3)).toBe(
      false,
    );
    expect(jsonTextTooDeep(nested(1_000_000), MAX_JSON_DEPTH)).toBe(true);
  });
});

describe("parseJsonLimited", () => {
  it("parses JSON within the limit, from text or bytes", () => {
    expect(parseJsonLimited('{"a":[1]}')).toEqual({ ok: true, value: { a: [1] } });
    expect(parseJsonLimited(Buffer.from(nested(MAX_JSON_DEPTH)))).toMatchObject({ ok: true });
  });

  it("refuses deeper JSON unparsed, and tells syntax errors apart", () => {
    expect(parseJsonLimited(nested(100_000))).toEqual({
      ok: false,
      reason: "depth",
      message: `the JSON nests deeper than ${MAX_JSON_DEPTH} levels`,
    });
    expect(parseJsonLimited(nested(CARRIER_JSON_DEPTH), CARRIER_JSON_DEPTH)).toMatchObject({ ok: true });
    expect(parseJsonLimited("{nope")).toMatchObject({ ok: false, reason: "syntax" });
  });
});

describe("walks over user values use no recursion", () => {
  it("hasProtoKey finds __proto__ at any depth, 100,000 levels down included", () => {
    const found = JSON.parse(`{"a":${nested(100_000, '{"__proto__":1}')}}`);
    expect(hasProtoKey(found)).toBe(true);
    expect(hasProtoKey(JSON.parse(nested(100_000, '{"proto":1}')))).toBe(false);
    expect(hasProtoKey(JSON.parse('[{"x":{"y":[{"__proto__":{}}]}}]'))).toBe(true);
  });

  it("assertJsonSafe checks 100,000 levels without a RangeError and still names the bad path", () => {
    expect(() => assertJsonSafe(deepValue(100_000), "x")).not.toThrow();
    expect(() =>
      assertJsonSafe(
        deepValue(100_000, () => 1),
        "x",
      ),
    ).toThrowError(/x cannot be sent as JSON: \$(\[0\]\.a)+ is a function\./);
    expect(() => assertJsonSafe({ a: [1, { b: [2, 10n] }] }, "x")).toThrowError("$.a[1].b[1] is a bigint");
    const shared = { s: 1 };
    expect(() => assertJsonSafe({ one: shared, two: [shared] }, "x")).not.toThrow();
  });
});
