import { randomUUID } from "node:crypto";
import type { ExecutionPolicy, JobDoneBody, JobStatus } from "../shared/schemas/job.ts";

/**
 * The emulator's job store: every job of every endpoint, each endpoint's FIFO queue, and the workers'
 * pending job-take long polls. In memory only (an emulator restart forgets every job).
 *
 * Semantics follow RunPod (research/runpod-api.md section 1): IN_QUEUE → IN_PROGRESS → COMPLETED |
 * FAILED | CANCELLED | TIMED_OUT; `executionTimeout` (the job's policy, else the endpoint's
 * executionTimeoutMs, 0 = none) runs from pickup; `ttl` (default 24 h) from submission, after which
 * the job is gone even if running; results are kept 30 min after a `/run` job ends and 1 min after a
 * `/runsync` one, then `/status` answers 404.
 */

export const RETENTION_RUN_MS = 30 * 60 * 1000;
export const RETENTION_RUNSYNC_MS = 60 * 1000;
export const DEFAULT_TTL_MS = 24 * 3600 * 1000;
export const DEFAULT_EXECUTION_TIMEOUT_MS = 600_000;

export interface Job {
  id: string;
  endpointId: string;
  input: unknown;
  status: JobStatus;
  /** Submitted with /runsync (shorter retention, `sync-` id). */
  sync: boolean;
  createdAt: number;
  startedAt?: number;
  completedAt?: number;
  output?: unknown;
  error?: unknown;
  workerId?: string;
  retries: number;
  executionTimeoutMs: number;
  ttlMs: number;
  webhook?: string;
  /** Partial outputs from job-stream, and how many `/stream` already delivered. */
  stream: unknown[];
  streamSent: number;
  execTimer?: NodeJS.Timeout;
  ttlTimer?: NodeJS.Timeout;
  /** When the ended job is forgotten (see {@link JobStore}'s retention queues); undefined while it runs. */
  retainUntil?: number;
  /** Called on every change of state or stream; used by /runsync, /status-sync, /stream. */
  waiters: Set<() => void>;
}

interface Taker {
  workerId: string;
  resolve: (job: Job | undefined) => void;
}

interface EndpointJobs {
  queue: Map<string, Job>;
  takers: Taker[];
  inProgress: number;
  completed: number;
  failed: number;
  retried: number;
}

/** What the store tells the rest of the emulator. */
export interface JobStoreHooks {
  /** A job was queued (the supervisor may scale up). */
  queued(endpointId: string): void;
  /** A worker picked a job up or finished one (busy/idle bookkeeping). */
  started(job: Job): void;
  ended(job: Job, workerId: string | undefined): void;
  /** The worker running `jobId` must stop it (cancelled, timed out, expired). */
  stop(workerId: string, jobId: string): void;
  /** False for a worker being stopped or replaced: it gets no more jobs. */
  canTake(workerId: string): boolean;
  /** Fire-and-forget webhook delivery. */
  webhook(url: string, body: unknown): void;
}

/** How late past its retention an ended job may be forgotten: one sweep covers that much, not one job. */
const RETENTION_SLACK_MS = 100;

/** Ended jobs in the order they ended, with when each is due to be forgotten. */
class RetentionQueue {
  private items: { job: Job; until: number }[] = [];
  private head = 0;

  push(job: Job, until: number): void {
    this.items.push({ job, until });
  }

  /** When the oldest entry is due; undefined when empty. */
  next(): number | undefined {
    return this.items[this.head]?.until;
  }

  /** Removes the entries due at `now`, calling `due` for each whose job is still retained until then. */
  take(now: number, due: (job: Job) => void): void {
    while (this.head < this.items.length) {
      const item = this.items[this.head]!;
      if (item.until > now) break;
      this.head++;
      // A job retried (or ended again) since this entry was made has another retention, or none.
      if (item.job.retainUntil === item.until) due(item.job);
    }
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

export class JobStore {
  private readonly jobs = new Map<string, Job>();
  private readonly endpoints = new Map<string, EndpointJobs>();
  /**
   * Ended jobs until their retention is over, one queue per retention period, so that every job
   * ends after those before it in its queue: one timer for all of them, not one per job (results
   * are kept for a minute at least, so a busy emulator holds many).
   */
  private readonly retained = { run: new RetentionQueue(), runsync: new RetentionQueue() };
  private retentionTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly hooks: JobStoreHooks,
    /** How long results are kept after a job ends; RunPod's values unless overridden. */
    private readonly retention: { runMs: number; runsyncMs: number } = {
      runMs: RETENTION_RUN_MS,
      runsyncMs: RETENTION_RUNSYNC_MS,
    },
  ) {}

  private ep(endpointId: string): EndpointJobs {
    let e = this.endpoints.get(endpointId);
    if (!e) {
      e = { queue: new Map(), takers: [], inProgress: 0, completed: 0, failed: 0, retried: 0 };
      this.endpoints.set(endpointId, e);
    }
    return e;
  }

  /** Queues a new job. `endpointTimeoutMs` is the endpoint's executionTimeoutMs. */
  submit(
    endpointId: string,
    request: { input: unknown; webhook?: string; policy?: ExecutionPolicy },
    options: { sync: boolean; endpointTimeoutMs: number },
  ): Job {
    const id = options.sync ? `sync-${randomUUID()}` : randomUUID();
    const job: Job = {
      id,
      endpointId,
      input: request.input,
      status: "IN_QUEUE",
      sync: options.sync,
      createdAt: Date.now(),
      retries: 0,
      executionTimeoutMs: request.policy?.executionTimeout ?? options.endpointTimeoutMs,
      ttlMs: request.policy?.ttl ?? DEFAULT_TTL_MS,
      webhook: request.webhook,
      stream: [],
      streamSent: 0,
      waiters: new Set(),
    };
    this.jobs.set(id, job);
    job.ttlTimer = setTimeout(() => this.expire(job), job.ttlMs);
    job.ttlTimer.unref();
    this.enqueue(job);
    return job;
  }

  private enqueue(job: Job): void {
    this.ep(job.endpointId).queue.set(job.id, job);
    this.dispatch(job.endpointId);
    if (job.status === "IN_QUEUE") this.hooks.queued(job.endpointId);
  }

  /**
   * Hands queued jobs to waiting takers, oldest first. A taker whose worker may not take jobs now
   * (being replaced) keeps waiting until its poll times out; a stopped worker's takers are released.
   */
  private dispatch(endpointId: string): void {
    const e = this.ep(endpointId);
    while (e.queue.size > 0) {
      const i = e.takers.findIndex((t) => this.hooks.canTake(t.workerId));
      if (i < 0) break;
      const [taker] = e.takers.splice(i, 1);
      const job = e.queue.values().next().value!;
      this.start(job, taker!.workerId);
      taker!.resolve(job);
    }
  }

  private start(job: Job, workerId: string): void {
    const e = this.ep(job.endpointId);
    e.queue.delete(job.id);
    e.inProgress++;
    job.status = "IN_PROGRESS";
    job.startedAt = Date.now();
    job.workerId = workerId;
    if (job.executionTimeoutMs > 0) {
      job.execTimer = setTimeout(() => {
        this.end(job, "TIMED_OUT", {
          error: `job exceeded its execution timeout of ${job.executionTimeoutMs} ms`,
        });
      }, job.executionTimeoutMs);
      job.execTimer.unref();
    }
    this.hooks.started(job);
    this.notify(job);
  }

  /** A job for this worker now, or undefined. */
  takeNow(endpointId: string, workerId: string): Job | undefined {
    const e = this.ep(endpointId);
    const job = e.queue.values().next().value;
    if (!job || !this.hooks.canTake(workerId)) return undefined;
    this.start(job, workerId);
    return job;
  }

  /**
   * Long poll of job-take: resolves with a job as soon as one is queued, or undefined after `holdMs`
   * or when `cancel` is called (the worker hung up).
   */
  take(
    endpointId: string,
    workerId: string,
    holdMs: number,
  ): { job: Promise<Job | undefined>; cancel: () => void } {
    const now = this.takeNow(endpointId, workerId);
    if (now) return { job: Promise.resolve(now), cancel: () => {} };
    const e = this.ep(endpointId);
    let taker!: Taker;
    let cancelFn: () => void = () => {};
    const job = new Promise<Job | undefined>((resolve) => {
      const timer = setTimeout(() => remove(), holdMs);
      const remove = () => {
        clearTimeout(timer);
        const i = e.takers.indexOf(taker);
        if (i >= 0) e.takers.splice(i, 1);
        resolve(undefined);
      };
      taker = {
        workerId,
        resolve: (j) => {
          clearTimeout(timer);
          resolve(j);
        },
      };
      e.takers.push(taker);
      cancelFn = remove;
    });
    return { job, cancel: () => cancelFn() };
  }

  /** Puts a job handed to a worker that never received it back in the queue. */
  requeue(job: Job): void {
    if (job.status !== "IN_PROGRESS") return;
    const workerId = job.workerId;
    this.ep(job.endpointId).inProgress--;
    if (job.execTimer) clearTimeout(job.execTimer);
    job.execTimer = undefined;
    job.status = "IN_QUEUE";
    job.startedAt = undefined;
    job.workerId = undefined;
    this.hooks.ended(job, workerId);
    this.enqueue(job);
  }

  /** Answers every pending job-take of a worker with "no job" (it is being stopped). */
  releaseTakers(workerId: string): void {
    for (const e of this.endpoints.values()) {
      const mine = e.takers.filter((t) => t.workerId === workerId);
      e.takers = e.takers.filter((t) => t.workerId !== workerId);
      for (const t of mine) t.resolve(undefined);
    }
  }

  get(endpointId: string, jobId: string): Job | undefined {
    const job = this.jobs.get(jobId);
    return job && job.endpointId === endpointId ? job : undefined;
  }

  /** job-done from a worker. Ignored (false) when the job already ended or belongs to another worker. */
  done(job: Job, workerId: string, body: JobDoneBody): boolean {
    if (job.status !== "IN_PROGRESS" || job.workerId !== workerId) return false;
    if (body.status === "IN_PROGRESS") {
      // A progress update (runpod.serverless.progress_update): visible in /status while running.
      job.output = body.output;
      this.notify(job);
      return true;
    }
    if (body.error !== undefined && body.error !== null && body.error !== "") {
      this.end(job, "FAILED", { error: body.error, output: body.output });
    } else {
      this.end(job, "COMPLETED", { output: body.output === undefined ? null : body.output });
    }
    return true;
  }

  /** job-stream from a worker: one partial output. */
  streamChunk(job: Job, workerId: string, output: unknown): boolean {
    if (job.status !== "IN_PROGRESS" || job.workerId !== workerId) return false;
    job.stream.push(output);
    this.notify(job);
    return true;
  }

  /** Chunks not delivered yet. */
  drainStream(job: Job): unknown[] {
    const chunks = job.stream.slice(job.streamSent);
    job.streamSent = job.stream.length;
    return chunks;
  }

  cancel(job: Job): void {
    if (job.status === "IN_QUEUE" || job.status === "IN_PROGRESS") this.end(job, "CANCELLED", {});
  }

  /** Requeues a FAILED or TIMED_OUT job under the same id; false for any other state. */
  retry(job: Job): boolean {
    if (job.status !== "FAILED" && job.status !== "TIMED_OUT") return false;
    job.retainUntil = undefined;
    job.status = "IN_QUEUE";
    job.output = undefined;
    job.error = undefined;
    job.startedAt = undefined;
    job.completedAt = undefined;
    job.workerId = undefined;
    job.stream = [];
    job.streamSent = 0;
    job.retries++;
    this.ep(job.endpointId).retried++;
    this.enqueue(job);
    this.notify(job);
    return true;
  }

  /** Cancels every queued (not running) job of an endpoint; returns how many. */
  purge(endpointId: string): number {
    const e = this.ep(endpointId);
    const queued = [...e.queue.values()];
    for (const job of queued) this.end(job, "CANCELLED", {});
    return queued.length;
  }

  /** Fails the jobs a worker was running when it died. */
  failWorkerJobs(workerId: string, message: string): void {
    for (const job of this.jobs.values()) {
      if (job.status === "IN_PROGRESS" && job.workerId === workerId)
        this.end(job, "FAILED", { error: message });
    }
  }

  /** Ends and forgets every job of a deleted endpoint. */
  dropEndpoint(endpointId: string): void {
    for (const job of [...this.jobs.values()]) {
      if (job.endpointId !== endpointId) continue;
      this.cancel(job);
      this.forget(job);
    }
    const e = this.endpoints.get(endpointId);
    if (e) for (const t of e.takers) t.resolve(undefined);
    this.endpoints.delete(endpointId);
  }

  private end(job: Job, status: JobStatus, fields: { output?: unknown; error?: unknown }): void {
    const e = this.ep(job.endpointId);
    const wasRunning = job.status === "IN_PROGRESS";
    if (job.status === "IN_QUEUE") e.queue.delete(job.id);
    if (wasRunning) e.inProgress--;
    if (job.execTimer) clearTimeout(job.execTimer);
    job.execTimer = undefined;
    job.status = status;
    job.completedAt = Date.now();
    if ("output" in fields && fields.output !== undefined) job.output = fields.output;
    if (fields.error !== undefined) job.error = fields.error;
    // Only FAILED and TIMED_OUT jobs can be retried; for the others the input (a live job's carries
    // the whole bundle) is not needed any more and is not kept for the retention period.
    if (status === "COMPLETED" || status === "CANCELLED") job.input = undefined;
    if (status === "COMPLETED") e.completed++;
    else if (status === "FAILED" || status === "TIMED_OUT") e.failed++;
    // The worker still runs it: tell it to stop (cancel, timeout).
    if (wasRunning && status !== "COMPLETED" && status !== "FAILED" && job.workerId) {
      this.hooks.stop(job.workerId, job.id);
    }
    if (wasRunning) this.hooks.ended(job, job.workerId);
    if (job.ttlTimer) clearTimeout(job.ttlTimer);
    job.ttlTimer = undefined;
    const until = Date.now() + (job.sync ? this.retention.runsyncMs : this.retention.runMs);
    job.retainUntil = until;
    (job.sync ? this.retained.runsync : this.retained.run).push(job, until);
    this.armRetention();
    if (job.webhook) this.hooks.webhook(job.webhook, this.view(job));
    this.notify(job);
  }

  /** TTL reached: the job is gone, even if running. */
  private expire(job: Job): void {
    if (job.status === "IN_QUEUE" || job.status === "IN_PROGRESS") {
      this.end(job, "TIMED_OUT", { error: `job TTL of ${job.ttlMs} ms expired` });
    }
    this.forget(job);
  }

  private forget(job: Job): void {
    for (const t of [job.execTimer, job.ttlTimer]) if (t) clearTimeout(t);
    job.retainUntil = undefined;
    if (this.jobs.get(job.id) === job) this.jobs.delete(job.id);
  }

  /** Arms the retention timer for the next job due, unless it is armed. */
  private armRetention(): void {
    if (this.retentionTimer) return;
    const nexts = [this.retained.run.next(), this.retained.runsync.next()].filter((n) => n !== undefined);
    if (nexts.length === 0) return;
    const delay = Math.max(0, Math.min(...nexts) - Date.now()) + RETENTION_SLACK_MS;
    this.retentionTimer = setTimeout(() => {
      this.retentionTimer = undefined;
      const now = Date.now();
      const forget = (job: Job) => this.forget(job);
      this.retained.run.take(now, forget);
      this.retained.runsync.take(now, forget);
      this.armRetention();
    }, delay);
    this.retentionTimer.unref();
  }

  private notify(job: Job): void {
    for (const w of [...job.waiters]) w();
  }

  /** Resolves on the job's next change (state, stream chunk, progress) or after `ms`. */
  nextChange(job: Job, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        job.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      job.waiters.add(done);
    });
  }

  /** Resolves when the job is terminal or after `ms`. */
  async untilTerminal(job: Job, ms: number, isTerminal: (s: JobStatus) => boolean): Promise<void> {
    const deadline = Date.now() + ms;
    while (!isTerminal(job.status)) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      await this.nextChange(job, left);
    }
  }

  /** RunPod's `/status` shape. */
  view(job: Job): Record<string, unknown> {
    const v: Record<string, unknown> = { id: job.id, status: job.status };
    if (job.startedAt !== undefined) v.delayTime = job.startedAt - job.createdAt;
    if (job.startedAt !== undefined && job.completedAt !== undefined)
      v.executionTime = job.completedAt - job.startedAt;
    if (job.output !== undefined) v.output = job.output;
    if (job.error !== undefined) v.error = job.error;
    if (job.workerId !== undefined) v.workerId = job.workerId;
    if (job.retries > 0) v.retries = job.retries;
    return v;
  }

  /** Job counters of `/health`. */
  counts(endpointId: string): {
    completed: number;
    failed: number;
    inProgress: number;
    inQueue: number;
    retried: number;
  } {
    const e = this.ep(endpointId);
    return {
      completed: e.completed,
      failed: e.failed,
      inProgress: e.inProgress,
      inQueue: e.queue.size,
      retried: e.retried,
    };
  }

  /** Stops every timer and answers every pending take (emulator shutdown). */
  close(): void {
    for (const job of this.jobs.values()) {
      for (const t of [job.execTimer, job.ttlTimer]) if (t) clearTimeout(t);
      this.notify(job);
    }
    for (const e of this.endpoints.values()) for (const t of e.takers) t.resolve(undefined);
    if (this.retentionTimer) clearTimeout(this.retentionTimer);
    this.retentionTimer = undefined;
    this.retained.run.clear();
    this.retained.runsync.clear();
    this.jobs.clear();
    this.endpoints.clear();
  }
}
