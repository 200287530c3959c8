import { loadDeployedCode } from "./artifact.ts";
import type { CodeCache } from "./code-cache.ts";
import type { WorkerEnv } from "./env.ts";
import type { ExecutorTask } from "./executor-protocol.ts";
import { type Job, parseDeployedSelector, parseEnvelope, WireError } from "./wire.ts";

/**
 * Turns a job into what the executor runs: which module, which export, which input.
 * - Live job (input carries `__flash__`): the shipped bundle, from the code cache.
 * - Deployed job: the resource's bundle from the artifact; `{"input": x}` for a one-function resource,
 *   `{"input": {"function": name, "input": x}}` for several.
 */
export async function taskForJob(
  job: Job,
  env: WorkerEnv,
  cache: CodeCache,
  log: (line: string) => void,
): Promise<ExecutorTask> {
  const live = parseEnvelope(job.input);
  if (live) {
    return {
      type: "run",
      id: job.id,
      modulePath: await cache.modulePath(live.envelope),
      exportName: live.envelope.function,
      where: `the bundle of ${live.envelope.file}`,
      input: live.input,
    };
  }
  if (!env.resourceName) {
    throw new WireError(
      "this job has no __flash__ envelope and the worker has no deployed code (FLASH_RESOURCE_NAME is not set)",
    );
  }
  const code = await loadDeployedCode(env, env.resourceName, log);
  const names = code.resource.functions.map((f) => f.name);
  const where = `resources/${env.resourceName}.mjs`;
  if (names.length === 1) {
    return {
      type: "run",
      id: job.id,
      modulePath: code.modulePath,
      exportName: names[0]!,
      where,
      input: job.input ?? null,
    };
  }
  const { fn, input } = parseDeployedSelector(job.input, names);
  if (!names.includes(fn))
    throw new WireError(`unknown function "${fn}"; this endpoint serves ${names.join(", ")}`);
  return { type: "run", id: job.id, modulePath: code.modulePath, exportName: fn, where, input };
}
