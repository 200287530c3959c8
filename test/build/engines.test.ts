import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/**
 * `npm install runpod-flash` warns EBADENGINE when a package it installs declares a Node range that
 * the user's Node is outside of. Every package of the installed tree (the lockfile's non-dev
 * entries) must accept each supported Node line: 20.19, 22.12 and 24.
 */
const SUPPORTED = ["20.19.0", "22.12.0", "24.0.0"];

type Version = [number, number, number];

function parse(v: string): Version {
  const m = /^v?(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?$/.exec(v.trim());
  if (!m) throw new Error(`cannot read version ${JSON.stringify(v)}`);
  const n = (s: string | undefined) => (s === undefined || s === "x" || s === "*" ? 0 : Number(s));
  return [n(m[1]), n(m[2]), n(m[3])];
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** The subset of npm's range syntax that engine fields use: `||`, `>=`, `>`, `<`, `<=`, `^`, `~`, `x`. */
function satisfies(version: string, range: string): boolean {
  const v = parse(version);
  return range.split("||").some((alternative) => {
    const parts = alternative
      .trim()
      .replace(/([<>=^~]+)\s+/g, "$1")
      .split(/\s+/)
      .filter(Boolean);
    if (parts.length === 0 || parts[0] === "*") return true;
    return parts.every((part) => {
      const m = /^(>=|<=|>|<|=|\^|~)?(.+)$/.exec(part)!;
      const op = m[1] ?? "";
      const bound = parse(m[2]!);
      const c = compare(v, bound);
      switch (op) {
        case ">=":
          return c >= 0;
        case ">":
          return c > 0;
        case "<":
          return c < 0;
        case "<=":
          return c <= 0;
        case "^":
          return c >= 0 && v[0] === bound[0];
        case "~":
          return c >= 0 && v[0] === bound[0] && v[1] === bound[1];
        default:
          // A bare major ("20", "20.x") is that line.
          return /^\d+(\.(x|\*))?$/.test(m[2]!) ? v[0] === bound[0] : c === 0;
      }
    });
  });
}

describe("engines of the installed dependency tree", () => {
  it("reads npm's range syntax (the check itself)", () => {
    expect(satisfies("20.19.0", "^20.19.0 || >=22.12.0")).toBe(true);
    expect(satisfies("22.11.0", "^20.19.0 || >=22.12.0")).toBe(false);
    expect(satisfies("20.19.0", ">=22")).toBe(false);
    expect(satisfies("24.0.0", ">= 4")).toBe(true);
    expect(satisfies("20.19.0", ">=18 <21")).toBe(true);
  });

  it("every non-dev package accepts Node 20.19, 22.12 and 24", () => {
    const lock = JSON.parse(readFileSync(new URL("../../package-lock.json", import.meta.url), "utf8")) as {
      packages: Record<string, { dev?: boolean; optional?: boolean; engines?: { node?: string } | string[] }>;
    };
    const refused: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path === "" || entry.dev) continue;
      const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      if (!range) continue;
      for (const node of SUPPORTED)
        if (!satisfies(node, range)) refused.push(`${path} (node ${range}) refuses ${node}`);
    }
    expect(refused).toEqual([]);
  });
});
