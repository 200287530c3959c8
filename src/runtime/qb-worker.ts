import { describeError, type ErrorInfo } from "./call-export.ts";
import { CodeCache } from "./code-cache.ts";
import type { WorkerEnv } from "./env.ts";
import { Executor } from "./executor.ts";
import type { RunResult } from "./executor-protocol.ts";
import { httpRequest, withParams } from "./http-client.ts";
import { taskForJob } from "./job-code.ts";
import { timing } from "./timing.ts";
import { type Job, parseTakenJob } from "./wire.ts";

/** How long one job-take long poll may hang before the worker re-polls (RunPod's Python worker: 90 s). */
const TAKE_TIMEOUT_MS = 90_000;

export interface QueueWorker {
  /** Stops taking jobs, kills the executors and resolves when every loop has ended. */
  stop(): Promise<void>;
  /** Resolves when the worker has stopped. */
  readonly done: Promise<void>;
}

/**
 * The queue-based worker: RunPod's worker protocol (research/runpod-api.md section 3).
 * One loop per concurrency slot, each with its own executor thread: long-poll job-take, run the job,
 * post job-done, repeat. A job-stop long poll kills the executor of a job the platform cancelled or
 * timed out; a heartbeat pings every RUNPOD_PING_INTERVAL.
 */
export function startQueueWorker(
  env: WorkerEnv,
  log: (line: string) => void,
  /** Executors already started (worker-main starts them before loading this module); one per slot. */
  started?: Executor[],
): QueueWorker {
  const getJobUrl = env.getJobUrl;
  const postOutputUrl = env.postOutputUrl;
  if (!getJobUrl || !postOutputUrl) {
    throw new Error("RUNPOD_WEBHOOK_GET_JOB and RUNPOD_WEBHOOK_POST_OUTPUT must be set for a queue worker");
  }
  const entry = process.argv[1]!;
  const cache = new CodeCache(env.cacheDir, log);
  const abort = new AbortController();
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (env.apiKey) headers.authorization = env.apiKey;
  const executors = started ?? Array.from({ length: env.concurrency }, () => new Executor(entry, log));
  for (const e of executors) e.start();
  /** Jobs taken and not yet reported, and the executor each runs on. */
  const active = new Map<string, Executor>();
  /** Jobs the platform asked to stop: their result is not reported. */
  const stopped = new Set<string>();
  /** job-done posts in flight. */
  const posts = new Set<Promise<void>>();
  let stopping = false;
  const busy = () => executors.some((e) => e.currentJob !== undefined);
  const takeUrl = getJobUrl.replaceAll("$ID", encodeURIComponent(env.workerId));
  const takeUrlIdle = withParams(takeUrl, { job_in_progress: "0" });
  const takeUrlBusy = withParams(takeUrl, { job_in_progress: "1" });

  const slot = async (executor: Executor): Promise<void> => {
    let failures = 0;
    while (!stopping) {
      let job: Job | undefined;
      try {
        const reply = await httpRequest(busy() ? takeUrlBusy : takeUrlIdle, {
          method: "GET",
          headers,
          timeoutMs: TAKE_TIMEOUT_MS,
          signal: abort.signal,
        });
        failures = 0;
        if (reply.status === 429) await sleep(5000, abort.signal);
        else if (reply.status === 200 && reply.body.length > 0 && reply.contentType.includes("json")) {
          const value: unknown = JSON.parse(reply.body.toString("utf8"));
          job = parseTakenJob(Array.isArray(value) ? value[0] : value);
          timing("job taken");
        } else if (reply.status !== 200 && reply.status !== 204 && reply.status !== 400) {
          log(`job-take answered HTTP ${reply.status}: ${reply.body.toString("utf8").slice(0, 200)}`);
          await sleep(1000, abort.signal);
        }
      } catch (err) {
        if (stopping) break;
        failures++;
        log(`job-take failed: ${(err as Error).message}`);
        await sleep(Math.min(5000, 100 * 2 ** failures), abort.signal);
      }
      if (job) await runJob(job, executor);
    }
  };

  const runJob = async (job: Job, executor: Executor): Promise<void> => {
    let result: RunResult;
    active.set(job.id, executor);
    // Streamed chunks go out in order, and all of them before the result.
    let streamed: Promise<void> = Promise.resolve();
    const onChunk = (json: string) => {
      streamed = streamed.then(() => postStream(job.id, json));
    };
    try {
      const task = await taskForJob(job, env, cache, log);
      timing("job code ready");
      result = stopped.has(job.id)
        ? { ok: false, error: { error_type: "Stopped", error_message: "stopped" } }
        : await executor.run(task, onChunk);
    } catch (err) {
      result = { ok: false, error: describeError(err) };
    } finally {
      active.delete(job.id);
    }
    // The platform already settled a job it asked us to stop (cancelled, timed out): say nothing.
    if (stopped.delete(job.id) || stopping) return;
    // Not awaited: the slot's next job-take goes out alongside the result, saving a round trip per
    // job on the warm path. The result still has its retries.
    const posting = streamed.then(() => postDone(job.id, result));
    posts.add(posting);
    void posting.finally(() => posts.delete(posting));
  };

  /** The URL templates with the worker id and `isStream` filled in once; `$ID` (the job) stays. */
  const postTemplate = (template: string) =>
    withParams(template.replaceAll("$RUNPOD_POD_ID", encodeURIComponent(env.workerId)), {
      isStream: "false",
    });
  const streamTemplate = env.postStreamUrl ? postTemplate(env.postStreamUrl) : undefined;
  const doneTemplate = postTemplate(postOutputUrl);

  const postStream = async (jobId: string, outputJson: string): Promise<void> => {
    if (streamTemplate) await post(streamTemplate, jobId, `{"output":${outputJson}}`, "job-stream");
  };

  const postDone = (jobId: string, result: RunResult): Promise<void> => {
    const body = result.ok
      ? `{"output":${result.outputJson}}`
      : JSON.stringify({ error: errorString(result.error) });
    return post(doneTemplate, jobId, body, "job-done");
  };

  /** POSTs to a worker-protocol URL template (`$ID` left), with RunPod-python's retries. */
  const post = async (template: string, jobId: string, body: string, what: string): Promise<void> => {
    const url = template.replaceAll("$ID", encodeURIComponent(jobId));
    for (const delay of [0, 1000, 1000, 2000]) {
      if (delay) await sleep(delay, abort.signal);
      if (stopping) return;
      try {
        const reply = await httpRequest(url, {
          method: "POST",
          headers: { ...headers, "x-request-id": jobId },
          body,
          timeoutMs: 30_000,
          signal: abort.signal,
        });
        if (reply.status < 300) return;
        log(`${what} for ${jobId} answered HTTP ${reply.status}`);
        if (reply.status < 500 && reply.status !== 429) return;
      } catch (err) {
        if (stopping) return;
        log(`${what} for ${jobId} failed: ${(err as Error).message}`);
      }
    }
  };

  const errorString = (error: ErrorInfo): string =>
    JSON.stringify({ ...error, hostname: env.hostname, worker_id: env.workerId, runtime: "runpod-flash" });

  // The stop channel: RunPod-python derives it from the take URL (/job-take/ → /job-stop/).
  const stopChannel = async (): Promise<void> => {
    if (!takeUrl.includes("/job-take/")) return;
    const url = takeUrl.replace("/job-take/", "/job-stop/");
    while (!stopping) {
      try {
        const reply = await httpRequest(url, {
          method: "GET",
          headers,
          timeoutMs: TAKE_TIMEOUT_MS,
          signal: abort.signal,
        });
        if (reply.status === 404) return; // the platform has no stop channel
        if (reply.status === 200 && reply.body.length > 0) {
          const value = JSON.parse(reply.body.toString("utf8")) as { jobsToStop?: unknown };
          const ids = Array.isArray(value.jobsToStop)
            ? value.jobsToStop.filter((x) => typeof x === "string")
            : [];
          for (const id of ids) {
            const executor = active.get(id);
            if (!executor) continue;
            stopped.add(id);
            log(`stopping job ${id} at the platform's request`);
            // Running: kill its process. Still being prepared: it will not start.
            if (executor.currentJob === id) executor.kill();
          }
        } else if (reply.status !== 204) await sleep(1000, abort.signal);
      } catch {
        if (stopping) return;
        await sleep(1000, abort.signal);
      }
    }
  };

  let heartbeat: NodeJS.Timeout | undefined;
  if (env.pingUrl && env.apiKey) {
    const pingUrl = env.pingUrl.replaceAll("$RUNPOD_POD_ID", encodeURIComponent(env.workerId));
    const ping = () => {
      const ids = executors.map((e) => e.currentJob).filter((x) => x !== undefined);
      const params: Record<string, string> = { runpod_version: "flash-ts" };
      if (ids.length) params.job_id = ids.join(",");
      httpRequest(withParams(pingUrl, params), {
        method: "GET",
        headers,
        timeoutMs: env.pingIntervalMs * 2,
      }).catch(() => {});
    };
    heartbeat = setInterval(ping, Math.max(100, env.pingIntervalMs));
    heartbeat.unref();
    ping();
  }

  const done = Promise.all([...executors.map(slot), stopChannel()]).then(() => {});
  return {
    done,
    async stop() {
      stopping = true;
      abort.abort();
      if (heartbeat) clearInterval(heartbeat);
      for (const e of executors) e.close();
      await done;
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
