import type { Expression, Node } from "oxc-parser";
import { CpuInstanceType, DataCenter, GpuGroup, GpuType, ScalerType } from "../sdk/enums.ts";
import { keyName, unwrap } from "./ast.ts";
import { type FileFacts, sdkMemberName } from "./facts.ts";

/** SDK enums a config may reference (`GpuGroup.ADA_24`). */
const SDK_ENUMS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  GpuGroup,
  GpuType,
  CpuInstanceType,
  DataCenter,
  ScalerType,
};

/** Why a value could not be computed without running code, and where. */
export class NotStatic extends Error {
  constructor(
    readonly node: Node,
    readonly facts: FileFacts,
    message: string,
  ) {
    super(message);
  }
}

/** Cross-file lookups the evaluator needs (implemented by the scan's Project). */
export interface Lookup {
  /** Resolves an identifier imported from another project file to its defining file and expression. */
  importedExpression(
    facts: FileFacts,
    source: string,
    imported: string,
  ): { facts: FileFacts; expr: Expression } | undefined;
  /** The file parsed whole, for names the reduced parse left out. */
  wholeFacts(facts: FileFacts): FileFacts;
}

/**
 * Computes the value of a config or options expression from the AST alone: literals, arrays,
 * objects, SDK enum members, `new NetworkVolume({...})`, consts (local or imported from project
 * files) and `process.env.NAME` (kept as the text `${NAME}`, filled in at deploy). Anything else
 * throws {@link NotStatic}, so a value is never guessed.
 */
export function evaluate(expr: Expression, facts: FileFacts, lookup: Lookup, depth = 0): unknown {
  if (depth > 32) throw new NotStatic(expr, facts, "the value refers to itself");
  const e = unwrap(expr);
  const again = (x: Expression, f: FileFacts = facts): unknown => evaluate(x, f, lookup, depth + 1);
  switch (e.type) {
    case "Literal":
      if (typeof e.value === "bigint" || e.value instanceof RegExp) break;
      return e.value;
    case "TemplateLiteral":
      if (e.expressions.length === 0) return e.quasis.map((q) => q.value.cooked ?? q.value.raw).join("");
      return e.quasis
        .map((q, i) => {
          const part = i < e.expressions.length ? again(e.expressions[i]!) : "";
          return (q.value.cooked ?? q.value.raw) + (part === "" ? "" : String(part));
        })
        .join("");
    case "UnaryExpression": {
      if (e.operator !== "-" && e.operator !== "+") break;
      const v = again(e.argument);
      if (typeof v !== "number") break;
      return e.operator === "-" ? -v : v;
    }
    case "ArrayExpression":
      return e.elements.map((el) => {
        if (el === null || el.type === "SpreadElement")
          throw new NotStatic(el ?? e, facts, "spread and holes are not allowed here");
        return again(el);
      });
    case "ObjectExpression": {
      const out: Record<string, unknown> = {};
      for (const p of e.properties) {
        if (p.type === "SpreadElement")
          throw new NotStatic(p, facts, "spread (...) is not allowed here; write the fields out");
        const key = p.computed ? undefined : keyName(p.key);
        if (key === undefined || p.kind !== "init" || p.method) {
          throw new NotStatic(p, facts, "only plain `key: value` fields are allowed here");
        }
        out[key] = again(p.value as Expression);
      }
      return out;
    }
    case "Identifier": {
      if (e.name === "undefined") return undefined;
      let scope = facts;
      let b = scope.bindings.get(e.name);
      if (b === undefined) {
        scope = lookup.wholeFacts(facts);
        b = scope.bindings.get(e.name);
      }
      if (b?.kind === "local" && b.constant && b.init) return again(b.init, scope);
      if (b?.kind === "import") {
        const target = lookup.importedExpression(scope, b.source, b.imported);
        if (target) return again(target.expr, target.facts);
      }
      throw new NotStatic(
        e,
        facts,
        `\`${e.name}\` is not a constant Flash can read without running your code`,
      );
    }
    case "MemberExpression": {
      if (e.computed) break;
      const prop = keyName(e.property) ?? "";
      const owner = unwrap(e.object);
      // process.env.NAME: read at deploy time from the environment or .env
      if (
        owner.type === "MemberExpression" &&
        !owner.computed &&
        unwrap(owner.object).type === "Identifier" &&
        (unwrap(owner.object) as { name: string }).name === "process" &&
        keyName(owner.property) === "env"
      ) {
        return `\${${prop}}`;
      }
      const enumName = sdkMemberName(facts, owner);
      const table = enumName === undefined ? undefined : SDK_ENUMS[enumName];
      if (table) {
        if (!(prop in table)) {
          throw new NotStatic(
            e.property,
            facts,
            `${enumName}.${prop} does not exist; known: ${Object.keys(table).join(", ")}`,
          );
        }
        return table[prop];
      }
      break;
    }
    case "NewExpression":
      if (sdkMemberName(facts, e.callee) === "NetworkVolume") {
        const arg = e.arguments[0];
        if (!arg || arg.type === "SpreadElement")
          throw new NotStatic(e, facts, "new NetworkVolume() needs an options object");
        return again(arg);
      }
      break;
    default:
      break;
  }
  throw new NotStatic(
    e,
    facts,
    "this value cannot be read without running your code; use a literal or a const",
  );
}
