import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { get as httpGet } from "node:http";
import { createServer } from "node:net";
import { LIVE_MARKER } from "../runtime/env.ts";
import { type Launch, launchOf } from "./images.ts";
import type { Job, JobStore } from "./jobs.ts";
import { forwardLines } from "./log-lines.ts";
import type { EmulatedEndpoint, Registry } from "./registry.ts";
import { workerWebhooks } from "./worker-env.ts";
import { prepareWorkerFolder, type WorkerFolder } from "./worker-folder.ts";

/**
 * Runs each endpoint's workers as real local processes, started as images.ts says: a template on a
 * public image the emulator knows runs its start command as RunPod would, in a fresh folder per
 * worker holding the artifact (worker-folder.ts) with RunPod's environment and the endpoint's env
 * only; a Flash worker image with no start command runs the CLI's own `dist/runtime/worker.js` in
 * its place, as do live endpoints under `flash run --local` (`fastLive`). An endpoint on any other
 * image gets none: its jobs wait for an outside worker, and `/health` and the log (once per
 * endpoint and image) say so. Scales each endpoint between
 * workersMin and workersMax by queue depth (QB) or waiting requests (LB), stops a worker idle for
 * idleTimeout seconds, replaces one that dies (failing the jobs it held), and stops all of an
 * endpoint's workers when it is deleted or the emulator closes. Workers run in their own process
 * group, so stopping one also stops the processes it started; each also exits when its stdin
 * closes, so none outlives the emulator.
 *
 * Outside workers: a worker id the supervisor did not start (a runpod-python worker the user runs
 * with the environment of worker-env.ts) is recorded on its first worker-protocol request and takes
 * jobs like the supervisor's own. It counts in `/health` while it has jobs or made a request in the
 * last {@link OUTSIDE_WORKER_TTL_MS} (30 s: the worker protocol holds a job-take poll 20 s at most,
 * `POLL_HOLD_MS`, and runpod-python pings every 10 s), and is forgotten once it has neither. Nothing stops or replaces
 * one: a job it took and never finished ends at its execution timeout, as on RunPod. Ids of workers
 * the supervisor started and that exited are answered 410, so a late request never brings one back.
 */

export interface WorkerRecord {
  id: string;
  endpointId: string;
  state: "initializing" | "ready" | "stopping";
  /** False for a worker the emulator did not start (it only polls). */
  managed: boolean;
  proc?: ChildProcess;
  startedAt: number;
  lastActive: number;
  /** Last worker-protocol request; an external worker silent for long is forgotten. */
  lastSeen: number;
  /** QB jobs it runs now. */
  jobs: Set<string>;
  /** LB requests in flight. */
  inflight: number;
  /** LB: the port its HTTP server listens on. */
  port?: number;
  /** What it was started with (env, artifact, type); a worker whose endpoint changed is replaced. */
  fingerprint?: string;
  /** Its endpoint changed since it started: it takes no new jobs and stops once idle. */
  outdated: boolean;
  /** LB: why its code failed to load (its /ping answered 503), if it did. */
  loadError?: string;
  /** Jobs the platform wants stopped, delivered by the job-stop long poll. */
  stopIds: string[];
  stopWaiters: Set<() => void>;
  exited: Promise<void>;
}

export interface SupervisorOptions {
  registry: Registry;
  /** The emulator's origin as workers reach it. */
  origin: () => string;
  /** Secret the workers send as RUNPOD_AI_API_KEY on the worker protocol. */
  workerKey: string;
  /** `dist/runtime/worker.js`. */
  workerEntry: string;
  /** FLASH_CACHE_DIR of the workers; unset: the runtime's default. */
  cacheDir?: string;
  /** The build artifact of a deployed endpoint, if any. */
  artifactPathFor: (endpoint: EmulatedEndpoint) => string | undefined;
  /** How a template's workers start; default: {@link launchOf} with the `FLASH_IMAGE_*` of process.env. */
  launchOf?: (template: { imageName: string; dockerArgs: string }) => Launch;
  /**
   * Live endpoints' workers run the CLI's runtime directly, whatever their template (`flash run
   * --local`: the session's own runtime, with no artifact to unpack).
   */
  fastLive?: boolean;
  /** Where workers started from a start command get their folders. */
  workDir: string;
  log: (line: string) => void;
}

/** Environment variables passed through to workers; everything else comes from the template, as on RunPod. */
const PASSTHROUGH =
  /^(PATH|HOME|USER|LOGNAME|SHELL|TMPDIR|TMP|TEMP|LANG|LC_.*|TZ|SYSTEMROOT|APPDATA|LOCALAPPDATA|(HTTPS?|NO)_PROXY|(https?|no)_proxy|npm_config_registry|NPM_CONFIG_.*)$/;

const SWEEP_MS = 200;
const STOP_GRACE_MS = 3000;
/**
 * An outside worker with no job counts in `/health` for this long after its last request, then is
 * forgotten: longer than a poll is held, so one that keeps polling never drops out.
 */
export const OUTSIDE_WORKER_TTL_MS = 30_000;

export class Supervisor {
  private readonly workers = new Map<string, WorkerRecord>();
  private readonly events = new EventEmitter();
  private readonly lbWaiting = new Map<string, number>();
  private readonly crashes = new Map<string, { count: number; notBefore: number }>();
  /** Ids of workers this supervisor started that have exited. */
  private readonly retired = new Set<string>();
  /** `endpointId image` pairs already logged as getting no workers (logged once each). */
  private readonly noWorkersLogged = new Set<string>();
  private readonly launchOf: (template: { imageName: string; dockerArgs: string }) => Launch;
  private store!: JobStore;
  private closing = false;
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(private readonly o: SupervisorOptions) {
    this.events.setMaxListeners(0);
    this.launchOf = o.launchOf ?? ((t) => launchOf(t));
    this.sweepTimer = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweepTimer.unref();
    o.registry.on("endpoint:saved", (endpoint) => {
      this.replaceOutdated();
      this.reconcile(endpoint.id);
    });
    o.registry.on("template:saved", () => this.replaceOutdated());
    o.registry.on("endpoint:deleted", (endpoint) => void this.endpointDeleted(endpoint.id));
  }

  attach(store: JobStore): void {
    this.store = store;
  }

  // ---- what the worker protocol and the job store call ----

  /**
   * A worker made a worker-protocol request: known from now on, and ready. An unknown id is an
   * outside worker (see the class comment); undefined (410) for a worker this supervisor stopped.
   */
  contact(endpointId: string, workerId: string): WorkerRecord | undefined {
    // A late request from a worker process that has exited must not bring it back as a phantom.
    if (this.retired.has(workerId)) return undefined;
    let rec = this.workers.get(workerId);
    if (!rec) {
      rec = this.record(workerId, endpointId, false);
      rec.state = "ready";
      const name = this.o.registry.endpoints.get(endpointId)?.name ?? endpointId;
      this.o.log(`[${name} ${workerId}] outside worker polling (one the emulator did not start)`);
    } else if (!rec.managed && rec.endpointId !== endpointId && rec.jobs.size === 0) {
      // An outside worker id reused for another endpoint: it belongs to the one it polls now.
      rec.endpointId = endpointId;
    } else if (rec.state === "initializing") {
      rec.state = "ready";
      this.events.emit("ready", rec);
    }
    rec.lastSeen = Date.now();
    return rec;
  }

  canTake(workerId: string): boolean {
    const rec = this.workers.get(workerId);
    return rec === undefined || (rec.state !== "stopping" && !rec.outdated);
  }

  jobStarted(job: Job): void {
    const rec = job.workerId ? this.workers.get(job.workerId) : undefined;
    if (!rec) return;
    rec.jobs.add(job.id);
    rec.lastActive = Date.now();
  }

  jobEnded(job: Job, workerId: string | undefined): void {
    const rec = workerId ? this.workers.get(workerId) : undefined;
    if (!rec) return;
    rec.jobs.delete(job.id);
    rec.lastActive = Date.now();
    if (rec.outdated && rec.jobs.size === 0) void this.stopWorker(rec, "its endpoint changed");
  }

  /** What a worker of this endpoint is started with; when it changes, running workers are replaced. */
  private fingerprintOf(endpoint: EmulatedEndpoint): string {
    return JSON.stringify([
      endpoint.type,
      endpoint.templateId,
      this.imageOf(endpoint),
      this.o.registry.templates.get(endpoint.templateId)?.dockerArgs ?? "",
      this.o.registry.envOf(endpoint),
      this.o.artifactPathFor(endpoint) ?? null,
    ]);
  }

  /**
   * Workers started before their endpoint's template, env or build changed are replaced, as RunPod
   * rolls workers to a new endpoint version: idle ones stop now, busy ones after their jobs.
   */
  private replaceOutdated(): void {
    const current = new Map<string, string>();
    for (const w of this.workers.values()) {
      if (!w.managed || w.fingerprint === undefined || w.outdated || w.state === "stopping") continue;
      const endpoint = this.o.registry.endpoints.get(w.endpointId);
      if (!endpoint) continue;
      let fp = current.get(endpoint.id);
      if (fp === undefined) {
        fp = this.fingerprintOf(endpoint);
        current.set(endpoint.id, fp);
      }
      if (fp === w.fingerprint) continue;
      w.outdated = true;
      if (w.jobs.size === 0 && w.inflight === 0) void this.stopWorker(w, "its endpoint changed");
    }
  }

  /** Asks a worker to stop a job (its job-stop poll answers). */
  requestStop(workerId: string, jobId: string): void {
    const rec = this.workers.get(workerId);
    if (!rec) return;
    rec.stopIds.push(jobId);
    for (const w of [...rec.stopWaiters]) w();
  }

  /** The job-stop long poll: ids to stop, as soon as there are any, or [] after `holdMs`. */
  stopSignals(workerId: string, holdMs: number): { ids: Promise<string[]>; cancel: () => void } {
    const rec = this.workers.get(workerId);
    if (!rec) return { ids: Promise.resolve([]), cancel: () => {} };
    let cancel = () => {};
    const ids = new Promise<string[]>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        rec.stopWaiters.delete(finish);
        resolve(rec.stopIds.splice(0));
      };
      const timer = setTimeout(finish, rec.stopIds.length > 0 ? 0 : holdMs);
      rec.stopWaiters.add(finish);
      cancel = finish;
    });
    return { ids, cancel };
  }

  /** The recycle request of a job-done `stopPod: true`. */
  recycle(workerId: string): void {
    const rec = this.workers.get(workerId);
    if (rec?.managed) void this.stopWorker(rec, "recycled at the worker's request");
  }

  /**
   * `/health` worker counters, RunPod's, plus `outside` (how many of `idle` and `running` are
   * outside workers) and, for an endpoint the emulator starts no workers for, a `note` saying so.
   */
  workerCounts(endpointId: string): Record<string, number | string> {
    let idle = 0;
    let running = 0;
    let initializing = 0;
    let outside = 0;
    const now = Date.now();
    for (const w of this.workers.values()) {
      if (w.endpointId !== endpointId || w.state === "stopping") continue;
      const busy = w.jobs.size > 0 || w.inflight > 0;
      if (!w.managed && !busy && now - w.lastSeen > OUTSIDE_WORKER_TTL_MS) continue;
      if (!w.managed) outside++;
      if (w.state === "initializing") initializing++;
      else if (busy) running++;
      else idle++;
    }
    const counts: Record<string, number | string> = {
      idle,
      running,
      initializing,
      ready: idle + running,
      throttled: 0,
      unhealthy: 0,
      outside,
    };
    const note = this.noWorkersNote(endpointId);
    if (note) counts.note = note;
    return counts;
  }

  /** The image of the endpoint's template ("" when the template is gone). */
  private imageOf(endpoint: EmulatedEndpoint): string {
    return this.o.registry.templates.get(endpoint.templateId)?.imageName ?? "";
  }

  /** How the endpoint's workers start (images.ts), the `fastLive` shortcut applied. */
  private launchFor(endpoint: EmulatedEndpoint): Launch {
    const template = this.o.registry.templates.get(endpoint.templateId);
    if (!template) return { kind: "none", why: "its template is gone" };
    if (this.o.fastLive && this.o.registry.envOf(endpoint)[LIVE_MARKER.key] === LIVE_MARKER.value) {
      return { kind: "runtime" };
    }
    return this.launchOf(template);
  }

  /**
   * Why the endpoint gets no workers of the emulator's (its template names an image it cannot run),
   * or undefined when it does.
   */
  noWorkersNote(endpointId: string): string | undefined {
    const endpoint = this.o.registry.endpoints.get(endpointId);
    if (!endpoint || !this.o.registry.templates.get(endpoint.templateId)) return undefined;
    const launch = this.launchFor(endpoint);
    if (launch.kind !== "none") return undefined;
    const why = launch.why;
    // An LB worker is reached on a port the supervisor gave it; one started outside has none.
    return endpoint.type === "LB"
      ? `${why}, and load-balanced traffic goes only to workers it starts`
      : `${why}, so jobs wait for an outside worker (start one with the worker environment flash emulator prints)`;
  }

  /** Pids of the processes running an endpoint's workers (tests check they are gone after deletion). */
  pids(endpointId?: string): number[] {
    return [...this.workers.values()]
      .filter((w) => endpointId === undefined || w.endpointId === endpointId)
      .map((w) => w.proc?.pid)
      .filter((p): p is number => p !== undefined);
  }

  /** Worker records of an endpoint (read-only view for tests and the LB proxy). */
  workersOf(endpointId: string): WorkerRecord[] {
    return [...this.workers.values()].filter((w) => w.endpointId === endpointId);
  }

  // ---- load balancer ----

  /**
   * A ready LB worker of the endpoint (the least busy), starting one if none; undefined after
   * `timeoutMs`; `{error}` when the endpoint's workers cannot load their code.
   */
  async lbWorker(
    endpointId: string,
    timeoutMs: number,
  ): Promise<WorkerRecord | { error: string } | undefined> {
    const pick = (): WorkerRecord | { error: string } | undefined => {
      const live = this.workersOf(endpointId).filter((w) => w.state !== "stopping");
      const ready = live
        .filter((w) => w.state === "ready" && w.port !== undefined)
        .sort((a, b) => a.inflight - b.inflight);
      if (ready[0]) return ready[0];
      const broken = live.find((w) => w.loadError !== undefined);
      return broken && live.every((w) => w.loadError !== undefined)
        ? { error: broken.loadError! }
        : undefined;
    };
    const now = pick();
    if (now) return now;
    this.lbWaiting.set(endpointId, (this.lbWaiting.get(endpointId) ?? 0) + 1);
    try {
      this.reconcile(endpointId);
      return await new Promise<WorkerRecord | { error: string } | undefined>((resolve) => {
        const onReady = () => {
          const w = pick();
          if (w) finish(w);
        };
        const finish = (w: WorkerRecord | { error: string } | undefined) => {
          clearTimeout(timer);
          this.events.off("ready", onReady);
          resolve(w);
        };
        const timer = setTimeout(() => finish(undefined), timeoutMs);
        this.events.on("ready", onReady);
      });
    } finally {
      this.lbWaiting.set(endpointId, (this.lbWaiting.get(endpointId) ?? 1) - 1);
    }
  }

  // ---- scaling ----

  /** Starts workers until the endpoint's demand is met, within workersMin..workersMax. */
  reconcile(endpointId: string): void {
    if (this.closing) return;
    const endpoint = this.o.registry.endpoints.get(endpointId);
    if (!endpoint) return;
    const note = this.noWorkersNote(endpointId);
    if (note) {
      const logged = `${endpointId} ${this.imageOf(endpoint)}`;
      if (!this.noWorkersLogged.has(logged)) {
        this.noWorkersLogged.add(logged);
        this.o.log(`endpoint ${endpoint.name} (${endpointId}): ${note}`);
      }
      return;
    }
    const live = this.workersOf(endpointId).filter((w) => w.state !== "stopping");
    let want: number;
    if (endpoint.type === "LB") {
      const waiting = this.lbWaiting.get(endpointId) ?? 0;
      const starting = live.some((w) => w.state === "initializing");
      want = live.length + (waiting > 0 && !starting ? 1 : 0);
    } else {
      const conc = this.concurrencyOf(endpoint);
      const capacity = live.reduce(
        (n, w) => n + (w.outdated ? 0 : w.state === "initializing" ? conc : Math.max(0, conc - w.jobs.size)),
        0,
      );
      const queued = this.store.counts(endpointId).inQueue;
      want = live.length + Math.max(0, Math.ceil((queued - capacity) / conc));
    }
    const max = Math.max(0, endpoint.workersMax);
    want = Math.max(Math.min(endpoint.workersMin, max), Math.min(max, want));
    const crash = this.crashes.get(endpointId);
    if (crash && Date.now() < crash.notBefore) return; // the sweep retries after the back-off
    for (let n = live.length; n < want; n++) this.spawnWorker(endpoint);
  }

  private sweep(): void {
    const now = Date.now();
    // A build deployed to an environment changes the artifact without a registry event.
    this.replaceOutdated();
    for (const w of this.workers.values()) {
      // An outside worker (one we did not start) that stopped polling is gone.
      if (!w.managed && w.jobs.size === 0 && now - w.lastSeen > OUTSIDE_WORKER_TTL_MS) {
        this.workers.delete(w.id);
        this.store.releaseTakers(w.id);
      }
    }
    for (const endpoint of this.o.registry.endpoints.values()) {
      this.reconcile(endpoint.id);
      const live = this.workersOf(endpoint.id).filter((w) => w.state !== "stopping");
      const queued = endpoint.type === "QB" ? this.store.counts(endpoint.id).inQueue : 0;
      let count = live.length;
      for (const w of live) {
        if (!w.managed || w.state !== "ready" || w.jobs.size > 0 || w.inflight > 0 || queued > 0) continue;
        const over = count > Math.max(0, endpoint.workersMax);
        const idleLong = now - w.lastActive >= endpoint.idleTimeout * 1000 && count > endpoint.workersMin;
        if (over || idleLong) {
          count--;
          void this.stopWorker(w, over ? "above workersMax" : `idle for ${endpoint.idleTimeout} s`);
        }
      }
    }
  }

  private concurrencyOf(endpoint: EmulatedEndpoint): number {
    const n = Number(this.o.registry.envOf(endpoint).FLASH_WORKER_CONCURRENCY);
    return Number.isInteger(n) && n > 0 ? n : 1;
  }

  // ---- processes ----

  private record(id: string, endpointId: string, managed: boolean): WorkerRecord {
    const rec: WorkerRecord = {
      id,
      endpointId,
      state: "initializing",
      managed,
      startedAt: Date.now(),
      lastActive: Date.now(),
      lastSeen: Date.now(),
      jobs: new Set(),
      inflight: 0,
      outdated: false,
      stopIds: [],
      stopWaiters: new Set(),
      exited: Promise.resolve(),
    };
    this.workers.set(id, rec);
    return rec;
  }

  private spawnWorker(endpoint: EmulatedEndpoint): void {
    const id = `${endpoint.id.slice(0, 8)}-${randomBytes(4).toString("hex")}`;
    const rec = this.record(id, endpoint.id, true);
    const lb = endpoint.type === "LB";
    // LB workers need a port before they start; the QB path does not wait for it.
    const start = lb ? freePort() : Promise.resolve(undefined);
    rec.exited = start.then(
      (port) => this.startProcess(rec, endpoint, port),
      (err: Error) => {
        this.o.log(`cannot start a worker for ${endpoint.name}: ${err.message}`);
        this.workers.delete(rec.id);
      },
    );
  }

  private startProcess(
    rec: WorkerRecord,
    endpoint: EmulatedEndpoint,
    port: number | undefined,
  ): Promise<void> {
    if (rec.state === "stopping" || this.closing) {
      this.workers.delete(rec.id);
      return Promise.resolve();
    }
    const origin = this.o.origin();
    rec.fingerprint = this.fingerprintOf(endpoint);
    const launch = this.launchFor(endpoint);
    if (launch.kind === "none") {
      this.workers.delete(rec.id);
      return Promise.resolve();
    }
    // RunPod's variables, then the endpoint's env: all a worker on RunPod has. No RUNPOD_API_KEY of
    // the emulator's: a worker has one only where its template's env sets it (flash deploy does,
    // for resources that call other endpoints).
    const env: Record<string, string> = {
      RUNPOD_PING_INTERVAL: "10000",
      ...this.o.registry.envOf(endpoint),
      ...workerWebhooks(origin, endpoint.id),
      RUNPOD_POD_ID: rec.id,
      RUNPOD_AI_API_KEY: this.o.workerKey,
      RUNPOD_ENDPOINT_ID: endpoint.id,
      // Not RunPod's: points the worker's own RunPod calls (to other endpoints) at the emulator.
      RUNPOD_API_URL: origin,
      FLASH_EXIT_WITH_STDIN: "1",
      FLASH_SKIP_SYSTEM_DEPS: "1",
    };
    if (port !== undefined) {
      rec.port = port;
      Object.assign(env, { FLASH_ENDPOINT_TYPE: "lb", PORT: String(port), PORT_HEALTH: String(port) });
    }
    const artifact = this.o.artifactPathFor(endpoint);
    let command: string;
    let args: string[];
    let cwd: string | undefined;
    let folder: WorkerFolder | undefined;
    if (launch.kind === "start-command") {
      // As the container would: a folder of its own standing in for the container's filesystem,
      // the artifact where RunPod puts it, and the image's PATH (no node where the image has none).
      folder = prepareWorkerFolder(this.o.workDir, rec.id, {
        artifact: artifact ?? this.o.registry.envOf(endpoint).FLASH_BUILD_ARTIFACT_PATH,
        hasNode: launch.hasNode,
      });
      Object.assign(env, folder.env);
      [command, ...args] = launch.argv as [string, ...string[]];
      command = folder.resolve(command);
      cwd = folder.dir;
    } else {
      for (const [k, v] of Object.entries(process.env)) {
        if (v !== undefined && PASSTHROUGH.test(k) && !(k in env)) env[k] = v;
      }
      if (this.o.cacheDir) env.FLASH_CACHE_DIR = this.o.cacheDir;
      if (artifact && !env.FLASH_BUILD_ARTIFACT_PATH) env.FLASH_BUILD_ARTIFACT_PATH = artifact;
      command = process.execPath;
      args = [this.o.workerEntry];
    }
    const proc = spawn(command, args, {
      env,
      cwd,
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
    if (folder) proc.once("close", () => folder.remove());
    rec.proc = proc;
    const prefix = `[${endpoint.name} ${rec.id}]`;
    for (const stream of [proc.stdout, proc.stderr])
      forwardLines(stream, (line) => this.o.log(`${prefix} ${line}`));
    proc.stdin?.on("error", () => {}); // EPIPE when it exits first
    if (port !== undefined) void this.probeLb(rec, port);
    return new Promise<void>((resolve) => {
      proc.once("error", (err) => {
        this.o.log(`${prefix} cannot start: ${err.message}`);
      });
      proc.once("close", (code, signal) => {
        this.onExit(rec, endpoint, code, signal);
        resolve();
      });
    });
  }

  private onExit(
    rec: WorkerRecord,
    endpoint: EmulatedEndpoint,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): void {
    killGroup(rec.proc, "SIGKILL"); // anything it started that survived it
    const expected = rec.state === "stopping" || this.closing;
    this.workers.delete(rec.id);
    this.retired.add(rec.id);
    this.store.releaseTakers(rec.id);
    for (const w of [...rec.stopWaiters]) w();
    if (expected) return;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    this.o.log(`[${endpoint.name} ${rec.id}] worker exited unexpectedly (${how})`);
    this.store.failWorkerJobs(rec.id, `worker ${rec.id} exited unexpectedly (${how}) while running the job`);
    // A worker that dies young, repeatedly, is a crash loop: back off before the next one.
    if (Date.now() - rec.startedAt < 5000) {
      const c = this.crashes.get(endpoint.id) ?? { count: 0, notBefore: 0 };
      c.count++;
      c.notBefore = Date.now() + Math.min(30_000, 250 * 2 ** (c.count - 1));
      this.crashes.set(endpoint.id, c);
    } else this.crashes.delete(endpoint.id);
    this.reconcile(endpoint.id);
  }

  /** Polls an LB worker's /ping until it answers 200 (204 means still loading). */
  private async probeLb(rec: WorkerRecord, port: number): Promise<void> {
    while (rec.state === "initializing" && this.workers.get(rec.id) === rec) {
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve) => {
        const req = httpGet({ host: "127.0.0.1", port, path: "/ping", timeout: 1000 }, (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => {
            body += c;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("error", () => resolve({ status: 0, body: "" }));
        req.on("timeout", () => req.destroy());
      });
      if (status === 200 && rec.state === "initializing") {
        rec.state = "ready";
        rec.loadError = undefined;
        rec.lastActive = Date.now();
        this.events.emit("ready", rec);
        return;
      }
      if (status === 503 && rec.loadError === undefined) {
        // The worker is up but its code did not load: requests get this error instead of waiting.
        rec.loadError = unhealthyReason(body);
        this.events.emit("ready", rec);
      }
      await new Promise((r) => setTimeout(r, rec.loadError === undefined ? 50 : 1000));
    }
  }

  /** Stops one worker: SIGTERM to its group, SIGKILL after a grace period. */
  stopWorker(rec: WorkerRecord, reason: string): Promise<void> {
    if (rec.state !== "stopping") {
      rec.state = "stopping";
      this.o.log(`[${rec.endpointId} ${rec.id}] stopping: ${reason}`);
      this.store.releaseTakers(rec.id);
      for (const w of [...rec.stopWaiters]) w();
      if (rec.proc) {
        killGroup(rec.proc, "SIGTERM");
        const kill = setTimeout(() => killGroup(rec.proc, "SIGKILL"), STOP_GRACE_MS);
        kill.unref();
        void rec.exited.then(() => clearTimeout(kill));
      } else if (!rec.managed) {
        this.workers.delete(rec.id);
      }
    }
    return rec.exited;
  }

  private async endpointDeleted(endpointId: string): Promise<void> {
    const workers = this.workersOf(endpointId);
    this.crashes.delete(endpointId);
    for (const key of this.noWorkersLogged)
      if (key.startsWith(`${endpointId} `)) this.noWorkersLogged.delete(key);
    await Promise.all(workers.map((w) => this.stopWorker(w, "endpoint deleted")));
    this.store.dropEndpoint(endpointId);
  }

  /** Waits for the processes an endpoint deletion is stopping (tests). */
  async settled(endpointId: string): Promise<void> {
    await Promise.all(this.workersOf(endpointId).map((w) => w.exited));
  }

  /** Stops every worker and waits until every process has exited. */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.sweepTimer);
    await Promise.all([...this.workers.values()].map((w) => this.stopWorker(w, "emulator closing")));
  }
}

/** The `error` of an LB worker's 503 /ping body, or a generic reason. */
function unhealthyReason(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === "string") return parsed.error;
  } catch {
    // not JSON
  }
  return "the worker reports it is unhealthy";
}

/** Signals a worker's whole process group (it was spawned detached, as the group leader). */
function killGroup(proc: ChildProcess | undefined, signal: NodeJS.Signals): void {
  if (!proc?.pid) return;
  try {
    process.kill(-proc.pid, signal);
  } catch {
    try {
      proc.kill(signal);
    } catch {
      // already gone
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}
