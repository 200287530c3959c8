import type { ResolvedConfig, ResourceType } from "../sdk/config.ts";
import type { HttpMethod } from "../sdk/enums.ts";

/** A place in a project file, 1-based line and column; `file` is relative to the project root (POSIX). */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/** A non-fatal finding of the scanner, printed by `run` and `build`. */
export interface ScanWarning {
  code: "LB_CALLS_LB" | "UNEXPORTED_REMOTE" | "IGNORED_OPTION";
  message: string;
  at: SourceLocation;
}

/** One remote function found in a file. */
export interface RemoteFunctionInfo {
  /** The export name, which is also the function name. */
  name: string;
  at: SourceLocation;
  /** Set for load-balanced routes. */
  method?: HttpMethod;
  /** The declared path of a load-balanced route, e.g. `/items/{id}`. */
  path?: string;
  dependencies: string[];
  systemDependencies: string[];
}

/** One file with remote functions: one resource, one endpoint. */
export interface ScannedResource {
  /** Resource name derived from the file path (`longruns/stage1.ts` → `longruns_stage1`). */
  resourceName: string;
  /** Endpoint name: the config's `name`, else the resource name. */
  endpointName: string;
  resourceType: ResourceType;
  isLoadBalanced: boolean;
  /** Relative POSIX path of the file, e.g. `workers/gpu.ts`. */
  file: string;
  /** URL prefix on the dev server, e.g. `/workers/gpu`. */
  urlPrefix: string;
  /** Dotted module path, e.g. `workers.gpu`. */
  modulePath: string;
  functions: RemoteFunctionInfo[];
  /** The validated config with defaults. Values that come from `process.env.X` are kept as `${X}` in env. */
  config: ResolvedConfig;
  /** Where the config object was constructed (`new LiveServerless(...)`). */
  configAt: SourceLocation;
  /** True when the file references a QB remote function of another file. */
  makesRemoteCalls: boolean;
  /** Resource names of the QB resources this file calls. */
  calls: string[];
}

/** One route of the dev server, as `flash routes` prints it. */
export interface RouteInfo {
  method: HttpMethod;
  path: string;
  resource: string;
  type: "QB" | "LB";
  /** The export name of the function the route calls. */
  function: string;
  file: string;
  line: number;
}

/** Everything discovery found in a project. */
export interface ScanResult {
  root: string;
  /** Resources sorted by file path. */
  resources: ScannedResource[];
  warnings: ScanWarning[];
  /** Number of files parsed. */
  filesScanned: number;
}
