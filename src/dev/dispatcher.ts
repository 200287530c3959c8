import type { ScannedResource } from "../scan/types.ts";
import { RemoteExecutionError } from "../sdk/errors.ts";
import { assertJsonSafe } from "../sdk/json-safe.ts";
import { type CallOptions, type Dispatcher, getRemoteMeta, type RemoteMeta } from "../sdk/remote.ts";
import { FlashError } from "../shared/errors.ts";
import type { WorkerBundle } from "./bundle.ts";
import type { ExecutionTarget } from "./execution.ts";
import { mapWorkerStack } from "./user-stack.ts";

/** Where a QB function lives: its file (relative) and export name. */
interface ExportAt {
  file: string;
  name: string;
}

/**
 * The dev server's QB dispatcher, installed process-wide with `setDispatcher`: every QB call, from
 * a route or from inside an LB handler, goes through it to the session's execution target with
 * the current bundle of the function's file.
 */
export class DevDispatcher implements Dispatcher {
  private readonly exportsByMeta = new WeakMap<RemoteMeta, ExportAt>();

  constructor(
    private readonly deps: {
      resourceOf(file: string): ScannedResource | undefined;
      bundleOf(file: string): Promise<WorkerBundle>;
      target(): Promise<ExecutionTarget>;
      /** The project folder, which remote stacks are mapped into. */
      root: string;
    },
  ) {}

  /**
   * Records the QB functions a bundled project module exports, so a stub's metadata can be mapped
   * to file and export name (called by the code the dev bundler appends to each QB file).
   */
  readonly register = (file: string, namespace: Record<string, unknown>): void => {
    for (const [name, value] of Object.entries(namespace)) {
      const meta = getRemoteMeta(value);
      if (meta?.kind === "qb") this.exportsByMeta.set(meta, { file, name });
    }
  };

  /** Called by the SDK stub. */
  call(meta: RemoteMeta, input: unknown, call: CallOptions | undefined): Promise<unknown> {
    const at = this.exportsByMeta.get(meta);
    if (!at) {
      return Promise.reject(
        new FlashError(
          "CONFIG_INVALID",
          `a remote function (${meta.fn.name || "anonymous"}) was called that is not exported from a project file, so the dev server cannot route it.`,
          { hint: "Export it: `export const myFn = remote(config, ...)`." },
        ),
      );
    }
    return this.run(at.file, at.name, input, call);
  }

  /** Runs function `name` of the QB file `file` on the target. */
  async run(file: string, name: string, input: unknown, call?: CallOptions): Promise<unknown> {
    const resource = this.deps.resourceOf(file);
    const fn = resource?.functions.find((f) => f.name === name);
    if (!resource || !fn) {
      throw new FlashError("CONFIG_INVALID", `${file} no longer exports a remote function ${name}.`);
    }
    assertJsonSafe(input, `the input of ${name}()`);
    const [bundle, target] = await Promise.all([this.deps.bundleOf(file), this.deps.target()]);
    try {
      return await target.run(
        {
          resource,
          functionName: name,
          bundle,
          dependencies: fn.dependencies,
          systemDependencies: fn.systemDependencies,
          input: input === undefined ? null : input,
        },
        call,
      );
    } catch (err) {
      // The worker's stack names its cached copy of the bundle; the user wants their .ts lines.
      if (err instanceof RemoteExecutionError && err.remoteStack) {
        (err as { remoteStack: string }).remoteStack = mapWorkerStack(
          err.remoteStack,
          bundle,
          this.deps.root,
        );
      }
      throw err;
    }
  }
}
