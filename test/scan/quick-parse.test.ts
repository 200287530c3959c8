import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseSync } from "oxc-parser";
import { describe, expect, it } from "vitest";
import { generateProject } from "../../bench/gen-project.mjs";
import { sdkCalleeWords } from "../../src/scan/facts.ts";
import { scanProject } from "../../src/scan/index.ts";
import { quickParse } from "../../src/scan/quick-parse.ts";
import { keptStatements } from "../../src/scan/reduce.ts";
import { makeProject } from "../helpers/project.ts";

type AnyNode = Record<string, unknown>;

/** The quick parse of `text`, or undefined when the quick parser declines it. */
function quick(text: string, callees?: string[]): AnyNode[] | undefined {
  const words = callees ?? sdkCalleeWords(text);
  const kept = keptStatements(text, words);
  if (kept === undefined) return undefined;
  return quickParse({ rel: "f.ts", text, words }, kept)?.body as unknown as AnyNode[] | undefined;
}

/**
 * Where the quick parser's nodes differ from oxc's (TypeScript AST, no parenthesis nodes): every
 * field the quick parser set must match, so discovery reads the same values either way. Opaque
 * parts (function bodies, parameter lists, type annotations) are compared by extent only.
 */
function differences(mine: unknown, theirs: unknown, path: string, out: string[] = []): string[] {
  if (mine === null || typeof mine !== "object") {
    if (!Object.is(mine, theirs)) out.push(`${path}: ${String(mine)} here, ${String(theirs)} in oxc`);
    return out;
  }
  if (Array.isArray(mine)) {
    if (!Array.isArray(theirs) || theirs.length !== mine.length) out.push(`${path}: array lengths differ`);
    else for (const [i, m] of mine.entries()) differences(m, theirs[i], `${path}[${i}]`, out);
    return out;
  }
  const m = mine as AnyNode;
  const t = theirs as AnyNode | undefined;
  if (typeof t !== "object" || t === null) {
    out.push(`${path}: missing in oxc`);
  } else if (m.opaque || path.endsWith(".typeAnnotation")) {
    if (m.start !== t.start || m.end !== t.end)
      out.push(`${path}: extent ${m.start}-${m.end}, oxc ${t.start}-${t.end}`);
  } else {
    for (const key of Object.keys(m)) {
      if (key === "params" && String(m.type).includes("Function")) continue;
      differences(m[key], t[key], `${path}.${key}`, out);
    }
  }
  return out;
}

/** Asserts the quick parser accepts `text` and agrees with oxc on every statement it read. */
function expectAgreement(text: string, words?: string[]): AnyNode[] {
  const body = quick(text, words);
  expect(body, `quick parser declined:\n${text}`).toBeDefined();
  const oxc = parseSync("f.ts", text, { astType: "ts", preserveParens: false });
  expect(oxc.errors).toEqual([]);
  const byStart = new Map(oxc.program.body.map((s) => [s.start, s as unknown as AnyNode]));
  const found: string[] = [];
  for (const statement of body!) {
    differences(statement, byStart.get(statement.start as number), `statement@${statement.start}`, found);
  }
  expect(found).toEqual([]);
  return body!;
}

const HEADER = `import { remote, LiveServerless, CpuLiveLoadBalancer, GpuGroup } from "runpod-flash";\n`;

describe("quick parser", () => {
  it("reads the statements of a Flash file exactly as oxc does", () => {
    const body = expectAgreement(`${HEADER}
import * as flash from "runpod-flash";
import def, { a as b, "str name" as c, type T } from "./lib";
import type { Cfg } from "./types.js";
import "./side-effect";
export { x, y as z } from "./other";
export type { Q } from "./q";
export * from "./all";
export * as ns from "./ns";

// a comment that mentions remote(
const gpu = new LiveServerless({
  name: \`gpu_\${process.env.STAGE}\`, // trailing comment
  gpus: [GpuGroup.ADA_24, GpuGroup["AMPERE_24"],],
  workersMax: -2, idleTimeout: +5, flag: true, none: null, hex: 0x1F, exp: 1.5e3, half: .5,
  nested: { "quoted-key": 'it\\'s', 3: "three", esc: "tab\\tnew\\nline\\u0041\\x42\\u{1F600}" },
  shorthand, ...rest, list: [1, , 2],
} as const);
const other = new flash.LiveServerless<{ a: 1 }>({ name: "o" }) satisfies object;

export const infer = remote(gpu, async (input: { prompt: string }): Promise<{ ok: boolean }> => {
  const re = /[/}]+/g; // brackets in a regex
  return { ok: re.test(input.prompt) && \`\${"}"}\` === "}" };
});
export const embed = remote<{ t: string }, number>(gpu, { dependencies: ["numpy==1.26"] }, async (i) => i.t.length);
export const named = remote(gpu, async function handler(x: unknown) { return x; });
export const single = remote(gpu, async x => x);
export const plain = remote(gpu, (x) => x!);
export default remote(gpu, async () => 1);
let later: LiveServerless | undefined, two = remote(gpu, async () => 2);
`);
    expect(body.map((s) => s.type)).toEqual([
      "ImportDeclaration",
      "ImportDeclaration",
      "ImportDeclaration",
      "ImportDeclaration",
      "ImportDeclaration",
      "ExportNamedDeclaration",
      "ExportNamedDeclaration",
      "ExportAllDeclaration",
      "ExportAllDeclaration",
      "VariableDeclaration",
      "VariableDeclaration",
      "ExportNamedDeclaration",
      "ExportNamedDeclaration",
      "ExportNamedDeclaration",
      "ExportNamedDeclaration",
      "ExportNamedDeclaration",
      "ExportDefaultDeclaration",
      "VariableDeclaration",
    ]);
  });

  it("skips statements that cannot matter without reading them", () => {
    const body = expectAgreement(`${HEADER}
function helper(n: number): number { return n * 2 + (n > 1 ? 1 : 0); }
class Thing<T> extends Base { method() { return /x/.test("y"); } }
interface Shape { a: string }
type Alias = { b: number } | string;
enum Color { Red, Green }
const plainValue = helper(3) + 4;
export const api = new CpuLiveLoadBalancer({});
`);
    expect(body).toHaveLength(2);
  });

  it.each([
    ["a binary expression", `const c = new LiveServerless({ workersMax: 1 + 2 });`],
    ["a conditional", `const c = new LiveServerless({ name: x ? "a" : "b" });`],
    ["a computed key", `const c = new LiveServerless({ [k]: 1 });`],
    ["a method", `const c = new LiveServerless({ f() { return 1; } });`],
    ["a getter", `const c = new LiveServerless({ get f() { return 1; } });`],
    ["optional chaining", `const c = new LiveServerless({ name: a?.b });`],
    ["destructuring", `const { c } = new LiveServerless({});`],
    ["a function declaration calling remote", `function f() { return remote(c, async () => 1); }`],
    ["an expression statement", `remote(c, async () => 1);`],
    ["a bigint", `const c = new LiveServerless({ workersMax: 10n });`],
    ["a numeric separator", `const c = new LiveServerless({ workersMax: 1_000 });`],
    ["a legacy octal", `const c = new LiveServerless({ workersMax: 010 });`],
    ["an octal escape", `const c = new LiveServerless({ name: "\\1" });`],
    ["a non-ASCII identifier", `const café = new LiveServerless({});`],
    [
      "an import attribute",
      `import cfg from "./c.json" with { type: "json" };\nconst c = new LiveServerless(cfg);`,
    ],
    [
      "an arrow with an object return type",
      `export const f = remote(c, function (x): { a: 1 } { return x; });`,
    ],
    ["`as` after a line break", `const c = new LiveServerless({})\nas\nconst d = 1;`],
    ["a statement after a type on the next line", `const c = new LiveServerless({}) as X\nfoo();`],
    ["`import type` with a default and named imports", `import type A, { B } from "./a";`],
    ["a syntax error in a kept statement", `const c = new LiveServerless({ name: });`],
    ["a type alias mentioning remote", `export type R = ReturnType<typeof remote<A>>;`],
  ])("declines %s (oxc reads the file instead)", (_what, source) => {
    expect(quick(`${HEADER}${source}\n`)).toBeUndefined();
  });

  it("agrees with oxc on every example and fixture file it accepts, and accepts all of them", () => {
    const roots = ["examples", "test/fixtures"].map((r) => join(import.meta.dirname, "../..", r));
    let checked = 0;
    for (const root of roots) {
      for (const rel of readdirSync(root, { recursive: true }) as string[]) {
        if (!rel.endsWith(".ts") || rel.includes("node_modules")) continue;
        const text = readFileSync(join(root, rel), "utf8");
        if (!text.includes("runpod-flash")) continue;
        expectAgreement(text);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  it("agrees with oxc on every statement it reads in real code (this project and some dependencies)", () => {
    // Common callee names stand in for the SDK's, so that many kinds of statements are read.
    const callees = [
      "new",
      "Set",
      "Map",
      "join",
      "resolve",
      "z.object",
      "Symbol",
      "Object.freeze",
      "require",
      "createRequire",
      "fileURLToPath",
      "Promise.all",
      "JSON.parse",
      "Buffer.from",
      "RegExp",
      "Array.from",
      "setTimeout",
      "String",
      "Number",
    ];
    const top = join(import.meta.dirname, "../..");
    const roots = [
      "src",
      "test",
      "examples",
      "scripts",
      "node_modules/vite/dist/node",
      "node_modules/xior",
      "node_modules/commander",
      "node_modules/zod/v4",
      "node_modules/graphql/language",
      "node_modules/tar",
      "node_modules/chokidar",
      "node_modules/smol-toml",
      "node_modules/ignore",
      "node_modules/runpod-sdk",
    ];
    let statements = 0;
    for (const root of roots) {
      for (const rel of readdirSync(join(top, root), { recursive: true }) as string[]) {
        if (!/\.(m?ts|m?js)$/.test(rel) || rel.endsWith(".d.ts") || rel.includes("node_modules")) continue;
        const text = readFileSync(join(top, root, rel), "utf8");
        if (text.length > 100_000) continue; // bundled assets (Swagger UI): slow to compare, nothing new
        if (quick(text, callees) === undefined) continue; // declined: oxc reads it, nothing to compare
        if (parseSync(rel, text, { astType: "ts" }).errors.length > 0) continue;
        statements += expectAgreement(text, callees).length;
      }
    }
    expect(statements, "statements compared").toBeGreaterThan(500);
  });

  it("agrees with oxc on the benchmark project's files, and the scan finds the same either way", async () => {
    const dir = makeProject({});
    await generateProject(dir, { files: 25, totalBytes: 100_000 });
    for (const rel of readdirSync(dir, { recursive: true }) as string[]) {
      if (rel.endsWith(".ts")) expectAgreement(readFileSync(join(dir, rel), "utf8"));
    }
    const quickScan = await scanProject(dir);
    expect(quickScan.resources).toHaveLength(25);
    expect(quickScan).toEqual(await scanProject(dir, { quick: false }));
  });
});
