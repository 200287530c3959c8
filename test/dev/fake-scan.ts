import type { RemoteFunctionInfo, ScannedResource, ScanResult } from "../../src/scan/types.ts";
import { resolveConfig } from "../../src/sdk/config.ts";
import type { HttpMethod } from "../../src/sdk/enums.ts";

/** A hand-made scanned resource: file path → names as discovery derives them (SPEC section 3). */
export function resource(
  file: string,
  functions: { name: string; method?: HttpMethod; path?: string }[],
  lb = false,
): ScannedResource {
  const bare = file.replace(/\.(m?ts|m?js)$/, "");
  const resourceName = bare.replace(/[^A-Za-z0-9_]/g, "_");
  const fns: RemoteFunctionInfo[] = functions.map((f, i) => ({
    name: f.name,
    at: { file, line: 5 + i, column: 14 },
    ...(lb ? { method: f.method ?? "POST", path: f.path ?? "/" } : {}),
    dependencies: [],
    systemDependencies: [],
  }));
  return {
    resourceName,
    endpointName: resourceName,
    resourceType: lb ? "CpuLiveLoadBalancer" : "LiveServerless",
    isLoadBalanced: lb,
    file,
    urlPrefix: `/${bare}`,
    modulePath: bare.replace(/\//g, "."),
    functions: fns,
    config: resolveConfig(lb ? "CpuLiveLoadBalancer" : "LiveServerless", {}),
    configAt: { file, line: 3, column: 13 },
    makesRemoteCalls: false,
    calls: [],
  };
}

export function scanOf(root: string, resources: ScannedResource[]): ScanResult {
  return { root, resources, warnings: [], filesScanned: resources.length };
}
