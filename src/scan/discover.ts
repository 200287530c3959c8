import type { ArrowFunctionExpression, Expression, Function as FnNode } from "oxc-parser";
import {
  RESOURCE_TYPES,
  type ResolvedConfig,
  type ResourceType,
  resolveConfig,
  resourceTraits,
} from "../sdk/config.ts";
import type { HttpMethod } from "../sdk/enums.ts";
import { checkMethod, checkRoutePath } from "../sdk/remote.ts";
import { FlashError, isFlashError } from "../shared/errors.ts";
import { didYouMean } from "../shared/suggest.ts";
import { unwrap } from "./ast.ts";
import { evaluate, NotStatic } from "./evaluate.ts";
import { type FileFacts, type RemoteCallSite, sdkMemberName } from "./facts.ts";
import {
  MAX_ENDPOINT_NAME,
  MAX_LIVE_ENDPOINT_NAME,
  modulePathOf,
  resourceNameOf,
  urlPrefixOf,
} from "./naming.ts";
import type { Problem } from "./problems.ts";
import type { Project } from "./project.ts";
import { isWordChar } from "./reduce.ts";
import type { RemoteFunctionInfo, ScannedResource, ScanWarning, SourceLocation } from "./types.ts";

/** A config object as discovery resolved it: where it is constructed and what it says. */
interface ConfigRef {
  /** Identity of the `new X(...)` expression: file and offset. */
  key: string;
  resourceType: ResourceType;
  at: SourceLocation;
  options: unknown;
}

interface FoundFunction extends RemoteFunctionInfo {
  config: ConfigRef;
  handler: Expression | undefined;
  facts: FileFacts;
  /** Top-level name the function is bound to in its file. */
  local: string;
}

/**
 * Turns the parsed files of a project into resources: resolves every exported `remote()` call's
 * config and options, applies the naming rules, and checks the one-config-per-file and uniqueness
 * rules. Problems are appended to `problems`, warnings to `warnings`; nothing is thrown.
 */
export function discoverResources(
  project: Project,
  problems: Problem[],
  warnings: ScanWarning[],
): ScannedResource[] {
  const byFile = new Map<string, FoundFunction[]>();
  const configCache = new Map<string, ResolvedConfig | null>();
  for (const facts of [...project.facts.values()]) {
    if (facts.remoteCalls.length === 0) continue;
    const found = discoverFile(project, facts, problems, warnings);
    if (found.length > 0) byFile.set(facts.file.rel, found);
  }
  const resources: ScannedResource[] = [];
  for (const [rel, functions] of [...byFile].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const first = functions[0]!;
    const other = functions.find((f) => f.config.key !== first.config.key);
    if (other) {
      problems.push({
        at: other.at,
        message: `${other.name} uses a different config than ${first.name} (line ${first.at.line}); a file is one endpoint, so all its remote functions share one config. Move ${other.name} to a file of its own.`,
      });
      continue;
    }
    let config = configCache.get(first.config.key);
    if (config === undefined) {
      try {
        config = resolveConfig(first.config.resourceType, first.config.options);
      } catch (err) {
        if (!isFlashError(err)) throw err;
        problems.push({ at: first.config.at, message: err.message });
        config = null;
      }
      configCache.set(first.config.key, config);
    }
    if (config === null) continue;
    const resourceName = resourceNameOf(rel);
    const endpointName = config.name ?? resourceName;
    if (endpointName.length > MAX_LIVE_ENDPOINT_NAME) {
      problems.push(nameTooLong(rel, endpointName, config.name !== undefined, first));
      continue;
    }
    resources.push({
      resourceName,
      endpointName,
      resourceType: config.resourceType,
      isLoadBalanced: resourceTraits[config.resourceType].loadBalanced,
      file: rel,
      urlPrefix: urlPrefixOf(rel),
      modulePath: modulePathOf(rel),
      functions: functions.map(({ config: _c, handler: _h, facts: _f, local: _l, ...info }) => info),
      config,
      configAt: first.config.at,
      makesRemoteCalls: false,
      calls: [],
    });
  }
  checkUniqueness(resources, byFile, problems);
  linkCalls(project, resources, byFile, warnings);
  return resources;
}

function discoverFile(
  project: Project,
  facts: FileFacts,
  problems: Problem[],
  warnings: ScanWarning[],
): FoundFunction[] {
  const exportNames = new Map<string, string>();
  for (const [exported, local] of facts.exports)
    if (!exportNames.has(local)) exportNames.set(local, exported);
  const found: FoundFunction[] = [];
  for (const site of facts.remoteCalls) {
    const at = project.loc(facts.file.rel, site.at);
    const name = site.local === undefined ? undefined : exportNames.get(site.local);
    if (site.exportedAsDefault || name === "default") {
      // A function is its export name everywhere (routes, the job's `function`, the worker's
      // lookup in the bundle), and a default export has none: an error, never a silent skip.
      const suggested = site.local ?? identifierOf(facts.file.rel);
      problems.push({
        at,
        message: `a remote() function must be a named export: Flash names each function after its export (its route, and the name workers call it by), and \`export default\` has none. Write \`export const ${suggested} = remote(...)\` instead.`,
      });
      continue;
    }
    if (name === undefined) {
      warnings.push({
        code: "UNEXPORTED_REMOTE",
        at,
        message:
          site.local === undefined
            ? "this remote() result is not bound to an exported top-level const, so it cannot be routed or deployed"
            : `${site.local} is a remote() function but is not exported, so it cannot be routed or deployed; add \`export\``,
      });
      continue;
    }
    try {
      const fn = analyzeCall(project, facts, site, name, at, warnings);
      if (fn) found.push(fn);
    } catch (err) {
      if (err instanceof NotStatic) {
        problems.push({ at: project.nodeLoc(err.facts, err.node), message: `${name}: ${err.message}` });
      } else if (isFlashError(err)) {
        problems.push({ at, message: `${name}: ${err.message}` });
      } else throw err;
    }
  }
  // Two LB routes of one file with the same method and path.
  const seen = new Map<string, FoundFunction>();
  for (const fn of found) {
    if (!fn.method) continue;
    const key = `${fn.method} ${fn.path}`;
    const prior = seen.get(key);
    if (prior) {
      problems.push({
        at: fn.at,
        message: `${fn.name} declares ${key}, already declared by ${prior.name} (line ${prior.at.line})`,
      });
    } else seen.set(key, fn);
  }
  return found;
}

/**
 * An endpoint name RunPod would refuse: over 64 characters itself, or in its live endpoint
 * (`live-<name>-<session>`, which `flash run --live` creates). Reported at the config when the name
 * comes from it, else at the first function, with a name that fits.
 */
function nameTooLong(rel: string, name: string, fromConfig: boolean, first: FoundFunction): Problem {
  const base = identifierOf(rel).slice(0, MAX_LIVE_ENDPOINT_NAME).replace(/_+$/, "");
  const source = fromConfig ? "the config's name" : `derived from the path ${rel}`;
  return {
    at: fromConfig ? first.config.at : first.at,
    message: `${rel}: endpoint name "${name}" (${source}) has ${name.length} characters; RunPod allows ${MAX_ENDPOINT_NAME}, and the live endpoint flash run makes for it (live-<name>-<session>) adds ${MAX_ENDPOINT_NAME - MAX_LIVE_ENDPOINT_NAME}, so a name may have at most ${MAX_LIVE_ENDPOINT_NAME}. Set a shorter name in the config: name: "${base}".`,
  };
}

/** A valid identifier from a file's base name: `my-worker.ts` → `my_worker`, `1st.ts` → `_1st`. */
function identifierOf(rel: string): string {
  const base = resourceNameOf(rel.slice(rel.lastIndexOf("/") + 1));
  return /^[0-9]/.test(base) ? `_${base}` : base;
}

function analyzeCall(
  project: Project,
  facts: FileFacts,
  site: RemoteCallSite,
  name: string,
  at: SourceLocation,
  warnings: ScanWarning[],
): FoundFunction | undefined {
  const args = site.call.arguments;
  if (args.length < 2 || args.length > 3 || args.some((a) => a.type === "SpreadElement")) {
    throw new NotStatic(site.call, facts, "remote() takes (config, fn) or (config, options, fn)");
  }
  const config = resolveConfigRef(project, facts, args[0] as Expression);
  const loadBalanced = resourceTraits[config.resourceType].loadBalanced;
  const options = args.length === 3 ? evaluate(args[1] as Expression, facts, project) : {};
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new NotStatic(args[1]!, facts, "remote() options must be an object literal");
  }
  const o = options as Record<string, unknown>;
  const allowed = ["dependencies", "systemDependencies", "method", "path"];
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) {
      throw new NotStatic(
        args[1]!,
        facts,
        `unknown remote() option "${key}"${didYouMean(key, allowed)}; allowed: ${allowed.join(", ")}`,
      );
    }
  }
  const fn: FoundFunction = {
    name,
    at,
    dependencies: stringList(o.dependencies, "dependencies"),
    systemDependencies: stringList(o.systemDependencies, "systemDependencies"),
    config,
    handler: args[args.length - 1] as Expression,
    facts,
    local: site.local ?? name,
  };
  if (loadBalanced) {
    fn.method = checkMethod(o.method ?? "POST") as HttpMethod;
    if (o.path === undefined) {
      throw new NotStatic(
        args.length === 3 ? args[1]! : site.call,
        facts,
        'a load-balanced route needs a path: remote(config, { method: "POST", path: "/compute" }, fn)',
      );
    }
    fn.path = checkRoutePath(o.path);
  } else {
    for (const key of ["method", "path"] as const) {
      if (o[key] !== undefined) {
        warnings.push({
          code: "IGNORED_OPTION",
          at,
          message: `${name}: option "${key}" is ignored for ${config.resourceType} (queue-based endpoints take jobs at /run and /run_sync, not HTTP routes)`,
        });
      }
    }
  }
  return fn;
}

function stringList(value: unknown, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v.trim() === "")) {
    throw new FlashError("CONFIG_INVALID", `${field} must be an array of non-empty strings`);
  }
  return value as string[];
}

function resolveConfigRef(project: Project, facts: FileFacts, expr: Expression, depth = 0): ConfigRef {
  const e = unwrap(expr);
  if (depth > 16) throw new NotStatic(e, facts, "the config refers to itself");
  if (e.type === "NewExpression") {
    const cls = sdkMemberName(facts, e.callee);
    if (cls !== undefined && (RESOURCE_TYPES as readonly string[]).includes(cls)) {
      const arg = e.arguments[0];
      if (arg?.type === "SpreadElement") throw new NotStatic(arg, facts, "spread is not allowed in a config");
      return {
        key: `${facts.file.rel}:${facts.file.offset(e.start)}`,
        resourceType: cls as ResourceType,
        at: project.nodeLoc(facts, e),
        options: arg === undefined ? {} : evaluate(arg, facts, project),
      };
    }
  }
  if (e.type === "Identifier") {
    let current = facts;
    let binding = current.bindings.get(e.name);
    if (binding === undefined) {
      current = project.wholeFacts(facts);
      binding = current.bindings.get(e.name);
    }
    if (binding?.kind === "local" && binding.init && binding.constant) {
      return resolveConfigRef(project, current, binding.init, depth + 1);
    }
    if (binding?.kind === "import") {
      const hit = project.resolveImport(current, binding.source, binding.imported);
      if (hit?.binding?.kind === "local" && hit.binding.init && hit.binding.constant) {
        return resolveConfigRef(project, hit.facts, hit.binding.init, depth + 1);
      }
      throw new NotStatic(
        e,
        current,
        `cannot find the config \`${e.name}\` imported from "${binding.source}" as a const in a project file`,
      );
    }
    throw new NotStatic(e, current, `\`${e.name}\` is not a config Flash can read without running your code`);
  }
  throw new NotStatic(
    e,
    facts,
    "the config must be `new LiveServerless({...})` (or another config class), a const holding one, or one imported from a project file",
  );
}

function checkUniqueness(
  resources: ScannedResource[],
  byFile: Map<string, FoundFunction[]>,
  problems: Problem[],
): void {
  const byName = new Map<string, ScannedResource>();
  const byEndpoint = new Map<string, ScannedResource>();
  const byConfig = new Map<string, ScannedResource>();
  for (const r of resources) {
    const at = r.functions[0]!.at;
    const sameName = byName.get(r.resourceName);
    if (sameName) {
      problems.push({
        at,
        message: `${r.file} and ${sameName.file} both map to resource name "${r.resourceName}"; rename one of the files`,
      });
    } else byName.set(r.resourceName, r);
    const sameEndpoint = byEndpoint.get(r.endpointName);
    if (sameEndpoint && !sameName) {
      problems.push({
        at,
        message: `${r.file} and ${sameEndpoint.file} both use endpoint name "${r.endpointName}"; each file is its own endpoint, so give each config its own name`,
      });
    } else byEndpoint.set(r.endpointName, r);
    const key = byFile.get(r.file)![0]!.config.key;
    const sameConfig = byConfig.get(key);
    if (sameConfig) {
      problems.push({
        at,
        message: `${r.file} and ${sameConfig.file} use the same config object (${r.configAt.file}:${r.configAt.line}); each file is its own endpoint, so give each file its own config`,
      });
    } else byConfig.set(key, r);
  }
}

/** Sets makesRemoteCalls/calls, and warns about LB handlers calling LB handlers. */
function linkCalls(
  project: Project,
  resources: ScannedResource[],
  byFile: Map<string, FoundFunction[]>,
  warnings: ScanWarning[],
): void {
  const resourceOf = new Map(resources.map((r) => [r.file, r]));
  const fnIndex = new Map<string, FoundFunction>();
  for (const fns of byFile.values())
    for (const fn of fns) fnIndex.set(`${fn.facts.file.rel}#${fn.local}`, fn);
  for (const resource of resources) {
    const facts = project.facts.get(resource.file)!;
    const text = facts.file.text;
    const calls = new Set<string>();
    const lbNames = new Map<string, FoundFunction>();
    for (const fn of byFile.get(resource.file)!) if (fn.method) lbNames.set(fn.local, fn);
    for (const [local, binding] of facts.bindings) {
      if (binding.kind !== "import") continue;
      const targets: { fn: FoundFunction; use: string }[] = [];
      if (binding.imported === "*") {
        const rel = project.resolveModule(resource.file, binding.source);
        for (const fn of (rel && byFile.get(rel)) || []) targets.push({ fn, use: `${local}.${fn.name}` });
      } else {
        const hit = project.resolveImport(facts, binding.source, binding.imported);
        const fn = hit && fnIndex.get(`${hit.facts.file.rel}#${hit.local}`);
        if (fn) targets.push({ fn, use: local });
      }
      for (const { fn, use } of targets) {
        if (fn.method) {
          lbNames.set(use, fn);
          continue;
        }
        const target = resourceOf.get(fn.facts.file.rel);
        if (target && target.file !== resource.file && isUsed(text, use, facts.importRanges))
          calls.add(target.resourceName);
      }
    }
    resource.calls = [...calls].sort();
    resource.makesRemoteCalls = calls.size > 0;
    if (!resource.isLoadBalanced) continue;
    for (const fn of byFile.get(resource.file)!) warnLbCalls(project, fn, lbNames, warnings);
  }
}

function isUsed(text: string, name: string, importRanges: [number, number][]): boolean {
  for (let at = findName(text, name, 0); at !== -1; at = findName(text, name, at + 1)) {
    if (!importRanges.some(([s, e]) => at >= s && at < e)) return true;
  }
  return false;
}

/** The next offset from `from` where `name` stands as a whole name (not part of a longer name, not after a `.`), or -1. */
function findName(text: string, name: string, from: number): number {
  for (let at = text.indexOf(name, from); at !== -1; at = text.indexOf(name, at + 1)) {
    const before = at > 0 ? text.charCodeAt(at - 1) : 32;
    if (!isWordChar(before) && before !== 46 && !isWordChar(text.charCodeAt(at + name.length))) return at;
  }
  return -1;
}

function warnLbCalls(
  project: Project,
  fn: FoundFunction,
  lbNames: Map<string, FoundFunction>,
  warnings: ScanWarning[],
): void {
  const handler = fn.handler ? unwrap(fn.handler) : undefined;
  if (!handler || (handler.type !== "ArrowFunctionExpression" && handler.type !== "FunctionExpression"))
    return;
  const body = (handler as ArrowFunctionExpression | FnNode).body;
  if (!body) return;
  const { file } = fn.facts;
  const start = file.offset(body.start);
  const end = file.offset(body.end - 1) + 1;
  const text = file.text.slice(start, end);
  for (const [use, target] of lbNames) {
    if (target === fn) continue;
    let call = -1;
    for (let at = findName(text, use, 0); at !== -1 && call === -1; at = findName(text, use, at + 1)) {
      let k = at + use.length;
      while (/\s/.test(text[k] ?? "")) k++;
      if (text.charCodeAt(k) === 40 /* ( */) call = at;
    }
    if (call !== -1) {
      warnings.push({
        code: "LB_CALLS_LB",
        at: project.loc(file.rel, start + call),
        message: `${fn.name} calls the load-balanced handler ${target.name} directly: it runs in-process, not as a request to its endpoint. Move shared logic into a plain function or a queue-based remote function.`,
      });
    }
  }
}
