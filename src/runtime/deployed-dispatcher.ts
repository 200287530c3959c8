import { assertJsonSafe } from "../sdk/json-safe.ts";
import {
  type CallOptions,
  type Dispatcher,
  getRemoteMeta,
  type RemoteMeta,
  setDispatcher,
} from "../sdk/remote.ts";
import { deployedJobInput } from "./wire.ts";

/**
 * Where QB calls go inside a deployed worker (SPEC section 5, PRD "QB calls inside LB route handler
 * body route to the remote QB endpoint"):
 * 1. a function of this worker's own resource (`FLASH_RESOURCE_NAME`) runs in-process;
 * 2. a function of another resource goes to that resource's deployed endpoint, whose id
 *    `flash deploy` put in `FLASH_ENDPOINTS` (`{"<resource>": "<endpoint id>"}`), as a plain deployed
 *    job (`{"input": x}`, or `{"input": {"function", "input"}}` when the resource has several).
 *
 * A stub does not know its resource, so the bundle's generated entry registers the QB resources it
 * contains under `Symbol.for("runpod-flash.deployed.resources")` (src/build/resource-entry.ts), and
 * the stub's metadata is looked up there. The queue client is imported on the first remote call
 * only, so workers that never call out pay nothing at start-up.
 */

const RESOURCES_KEY = Symbol.for("runpod-flash.deployed.resources");

/** What a bundle registers per resource. */
interface RegisteredResource {
  module: Record<string, unknown>;
  functions: string[];
}

type GlobalWithResources = typeof globalThis & { [RESOURCES_KEY]?: Map<string, RegisteredResource> };

interface Target {
  resource: string;
  name: string;
  /** Number of functions of that resource: decides the deployed input shape. */
  count: number;
}

/**
 * Installs the deployed dispatcher when the worker serves a deployed resource (`FLASH_RESOURCE_NAME`
 * set); does nothing otherwise (live jobs keep the SDK's in-process default).
 */
export function installDeployedDispatcher(env: NodeJS.ProcessEnv = process.env): void {
  const self = env.FLASH_RESOURCE_NAME;
  if (!self) return;
  setDispatcher(new DeployedDispatcher(self, env));
}

class DeployedDispatcher implements Dispatcher {
  private readonly targets = new WeakMap<RemoteMeta, Target>();
  private endpoints: Record<string, string> | undefined;
  private client: Promise<RemoteClient> | undefined;

  constructor(
    private readonly self: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  async call(meta: RemoteMeta, input: unknown, call: CallOptions | undefined): Promise<unknown> {
    const target = this.targetOf(meta);
    assertJsonSafe(input, `the input of ${target?.name ?? (meta.fn.name || "a remote function")}()`);
    if (!target || target.resource === this.self) {
      // Same resource (or a function the build did not register, which can only be local code):
      // run it here, through JSON, so it sees what a worker would.
      const output = await meta.fn(JSON.parse(JSON.stringify(input ?? null)));
      assertJsonSafe(output, "the output");
      return output === undefined ? null : JSON.parse(JSON.stringify(output));
    }
    const endpointId = this.endpointsMap()[target.resource];
    if (!endpointId) {
      throw new Error(
        `${target.name}() belongs to resource "${target.resource}", which has no endpoint in FLASH_ENDPOINTS; redeploy with \`flash deploy\` so this endpoint learns its id.`,
      );
    }
    const { client, callEndpoint } = await this.remoteClient();
    const payload = deployedJobInput(target.name, target.count, input);
    return callEndpoint(client, endpointId, payload, {
      timeoutMs: call?.timeoutMs,
      signal: call?.signal,
      label: `${target.resource} (${endpointId})`,
    });
  }

  private targetOf(meta: RemoteMeta): Target | undefined {
    const known = this.targets.get(meta);
    if (known) return known;
    const registry = (globalThis as GlobalWithResources)[RESOURCES_KEY];
    for (const [resource, entry] of registry ?? []) {
      for (const name of entry.functions) {
        if (getRemoteMeta(entry.module[name]) === meta) {
          const target = { resource, name, count: entry.functions.length };
          this.targets.set(meta, target);
          return target;
        }
      }
    }
    return undefined;
  }

  private endpointsMap(): Record<string, string> {
    if (this.endpoints) return this.endpoints;
    const raw = this.env.FLASH_ENDPOINTS;
    let parsed: unknown = {};
    if (raw) {
      try {
        parsed = JSON.parse(raw);
      } catch {
        throw new Error('FLASH_ENDPOINTS is not JSON; expected {"<resource>": "<endpoint id>"}');
      }
    }
    const map: Record<string, string> = {};
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
      for (const [k, v] of Object.entries(parsed)) if (typeof v === "string" && v) map[k] = v;
    }
    this.endpoints = map;
    return map;
  }

  private remoteClient(): Promise<RemoteClient> {
    this.client ??= (async () => {
      const [{ QueueClient }, { callEndpoint }] = await Promise.all([
        import("../cloud/queue-client.ts"),
        import("../cloud/queue-call.ts"),
      ]);
      // RUNPOD_API_KEY (set on endpoints that make remote calls) and RUNPOD_API_URL (the emulator).
      return { client: new QueueClient({ env: this.env }), callEndpoint };
    })();
    return this.client;
  }
}

interface RemoteClient {
  client: import("../cloud/queue-client.ts").QueueClient;
  callEndpoint: typeof import("../cloud/queue-call.ts").callEndpoint;
}
