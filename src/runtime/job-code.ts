import { loadDeployedCode } from "./artifact.ts";
import type { CodeCache } from "./code-cache.ts";
import type { WorkerEnv } from "./env.ts";
import type { ExecutorTask } from "./executor-protocol.ts";
import { type Job, parseDeployedSelector, parseEnvelope, WireError } from "./wire.ts";

/**
 * Turns a job into what the executor runs: which module, which export, which input.
 * - Deployed worker (`FLASH_RESOURCE_NAME`): the resource's bundle from the artifact; `{"input": x}`
 *   for a one-function resource, `{"input": {"function": name, "input": x}}` for several. It never
 *   loads code from a job: a `__flash__` key in the input is the user's data, passed on as it is
 *   (anyone who may submit a job, or whose JSON an LB handler forwards, would otherwise run code
 *   next to the endpoint's env and key).
 * - Live worker (`FLASH_LIVE=1`, set only on the endpoints a dev session provisions): the bundle
 *   the job ships in its `__flash__` envelope, from the code cache.
 * @throws WireError for a worker that is neither, or a live job without an envelope
 */
export async function taskForJob(
  job: Job,
  env: WorkerEnv,
  cache: CodeCache,
  log: (line: string) => void,
): Promise<ExecutorTask> {
  if (!env.resourceName) {
    if (!env.live) {
      throw new WireError(
        "this worker has no code to run: it is neither a deployed endpoint (FLASH_RESOURCE_NAME is not set) nor a live endpoint of a flash run session (FLASH_LIVE=1); deploy the project with `flash deploy`",
      );
    }
    const live = parseEnvelope(job.input);
    if (!live) {
      throw new WireError(
        "this live endpoint runs only jobs sent by flash run (input with a __flash__ envelope); call the function through flash run's server",
      );
    }
    return {
      type: "run",
      id: job.id,
      modulePath: await cache.modulePath(live.envelope),
      exportName: live.envelope.function,
      where: `the bundle of ${live.envelope.file}`,
      input: live.input,
    };
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
