import type { ScannedResource } from "../scan/types.ts";

/**
 * The global a deployed bundle fills with the QB resources it contains: resource name →
 * `{ module, functions }`. The worker runtime's deployed dispatcher reads it to tell which resource
 * a QB stub belongs to (a stub knows its function, not its file), and so whether a call runs
 * in-process (same resource) or goes to that resource's endpoint (`FLASH_ENDPOINTS`).
 */
export const DEPLOYED_RESOURCES_KEY = "runpod-flash.deployed.resources";

/**
 * The generated entry of one resource's bundle, the "handler wiring" built from the manifest:
 * - re-exports everything the resource's file exports (the worker calls functions by export name);
 * - for a load-balanced resource, imports each route's handler by name and exports the route table
 *   as `__flash_routes__`, so a route whose handler is not exported fails the build, not the worker;
 * - registers the QB resources the bundle holds (the file itself when it is QB, and every QB file
 *   it calls) under {@link DEPLOYED_RESOURCES_KEY}.
 */
export function resourceEntrySource(
  resource: ScannedResource,
  byName: ReadonlyMap<string, ScannedResource>,
  importPath: (r: ScannedResource) => string = (r) => `./${r.file}`,
): string {
  const spec = (r: ScannedResource) => JSON.stringify(importPath(r));
  const lines = [`export * from ${spec(resource)};`];
  const registered: [ScannedResource, string][] = [];
  if (!resource.isLoadBalanced) {
    lines.push(`import * as __flash_self from ${spec(resource)};`);
    registered.push([resource, "__flash_self"]);
  }
  resource.calls.forEach((name, i) => {
    const callee = byName.get(name);
    if (!callee || callee === resource || callee.isLoadBalanced) return;
    lines.push(`import * as __flash_callee${i} from ${spec(callee)};`);
    registered.push([callee, `__flash_callee${i}`]);
  });
  if (resource.isLoadBalanced) {
    const routes = resource.functions.map((f, i) => {
      lines.push(`import { ${f.name} as __flash_route${i} } from ${spec(resource)};`);
      return `{ method: ${JSON.stringify(f.method ?? "POST")}, path: ${JSON.stringify(f.path ?? "/")}, name: ${JSON.stringify(f.name)}, handler: __flash_route${i} }`;
    });
    lines.push(`export const __flash_routes__ = [${routes.join(", ")}];`);
  }
  if (registered.length > 0) {
    lines.push(
      `const __flash_resources = (globalThis[Symbol.for(${JSON.stringify(DEPLOYED_RESOURCES_KEY)})] ??= new Map());`,
    );
    for (const [r, ns] of registered) {
      const functions = JSON.stringify(r.functions.map((f) => f.name));
      lines.push(
        `__flash_resources.set(${JSON.stringify(r.resourceName)}, { module: ${ns}, functions: ${functions} });`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}
