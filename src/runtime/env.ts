import { homedir, hostname } from "node:os";
import { join } from "node:path";

/**
 * Everything the worker reads from its environment. The `RUNPOD_*` variables are RunPod's worker
 * protocol (research/runpod-api.md section 3.1); the `FLASH_*` ones are ours:
 *
 * | variable | meaning |
 * |---|---|
 * | `RUNPOD_WEBHOOK_GET_JOB` | job-take URL, `$ID` = worker id; must contain `?` (params are appended) |
 * | `RUNPOD_WEBHOOK_POST_OUTPUT` | job-done URL, `$RUNPOD_POD_ID` = worker id, `$ID` = job id |
 * | `RUNPOD_WEBHOOK_POST_STREAM` | job-stream URL, same placeholders (optional) |
 * | `RUNPOD_WEBHOOK_PING` | heartbeat URL, `$RUNPOD_POD_ID` = worker id |
 * | `RUNPOD_PING_INTERVAL` | heartbeat period in ms (default 10000) |
 * | `RUNPOD_POD_ID` | worker id (default: host name) |
 * | `RUNPOD_AI_API_KEY` | raw `Authorization` value of every worker→platform call |
 * | `FLASH_ENDPOINT_TYPE` | `lb` serves HTTP routes (load-balanced worker); anything else runs the queue loop |
 * | `FLASH_RESOURCE_NAME` | deployed mode: which resource of the artifact this endpoint serves; jobs never carry code (`__flash__` is plain data) |
 * | `FLASH_LIVE` | `1`: a live endpoint of a dev session (`flash run`), whose jobs ship their code in a `__flash__` envelope; ignored when `FLASH_RESOURCE_NAME` is set, never set by `flash deploy` |
 * | `FLASH_BUILD_ARTIFACT_PATH` | the build artifact (default `/root/.runpod/artifact.tar.gz`) |
 * | `FLASH_APP_DIR` | where the artifact is unpacked (default `<cache>/app/<artifact hash>`) |
 * | `FLASH_CACHE_DIR` | bundles and npm installs (default `~/.cache/runpod-flash/worker`) |
 * | `FLASH_WORKER_CONCURRENCY` | jobs run at once by one worker, each in its own executor thread (default 1) |
 * | `FLASH_EXIT_WITH_STDIN` | `1`: exit when stdin closes (the emulator uses it so no worker outlives it) |
 * | `PORT`, `PORT_HEALTH` | LB mode: HTTP port (default 80) and health port (default `PORT`) |
 */
export interface WorkerEnv {
  getJobUrl: string | undefined;
  postOutputUrl: string | undefined;
  postStreamUrl: string | undefined;
  pingUrl: string | undefined;
  pingIntervalMs: number;
  workerId: string;
  apiKey: string | undefined;
  mode: "qb" | "lb";
  resourceName: string | undefined;
  /** A live endpoint's worker (FLASH_LIVE=1): runs the code its jobs ship. */
  live: boolean;
  artifactPath: string;
  appDir: string | undefined;
  cacheDir: string;
  concurrency: number;
  exitWithStdin: boolean;
  port: number;
  portHealth: number;
  hostname: string;
}

/**
 * The template env entry that makes an endpoint live: only its workers load code sent in a job.
 * `flash run` sets it on the endpoints it provisions; `flash deploy` refuses a config naming it.
 */
export const LIVE_MARKER = { key: "FLASH_LIVE", value: "1" } as const;

export const DEFAULT_ARTIFACT_PATH = "/root/.runpod/artifact.tar.gz";

export function readWorkerEnv(env: NodeJS.ProcessEnv = process.env): WorkerEnv {
  const port = intOr(env.PORT, 80);
  return {
    getJobUrl: env.RUNPOD_WEBHOOK_GET_JOB || undefined,
    postOutputUrl: env.RUNPOD_WEBHOOK_POST_OUTPUT || undefined,
    postStreamUrl: env.RUNPOD_WEBHOOK_POST_STREAM || undefined,
    pingUrl: env.RUNPOD_WEBHOOK_PING || undefined,
    pingIntervalMs: intOr(env.RUNPOD_PING_INTERVAL, 10_000),
    workerId: env.RUNPOD_POD_ID || hostname(),
    apiKey: env.RUNPOD_AI_API_KEY || undefined,
    mode: env.FLASH_ENDPOINT_TYPE?.toLowerCase() === "lb" ? "lb" : "qb",
    resourceName: env.FLASH_RESOURCE_NAME || undefined,
    live: env[LIVE_MARKER.key] === LIVE_MARKER.value,
    artifactPath: env.FLASH_BUILD_ARTIFACT_PATH || DEFAULT_ARTIFACT_PATH,
    appDir: env.FLASH_APP_DIR || undefined,
    cacheDir: env.FLASH_CACHE_DIR || join(homedir(), ".cache", "runpod-flash", "worker"),
    concurrency: Math.max(1, intOr(env.FLASH_WORKER_CONCURRENCY, 1)),
    exitWithStdin: env.FLASH_EXIT_WITH_STDIN === "1",
    port,
    portHealth: intOr(env.PORT_HEALTH, port),
    hostname: hostname(),
  };
}

function intOr(value: string | undefined, fallback: number): number {
  const n = value === undefined || value === "" ? Number.NaN : Number(value);
  return Number.isInteger(n) && n >= 0 ? n : fallback;
}
