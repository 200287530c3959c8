import { Worker } from "node:worker_threads";
import type { ExecutorReply, ExecutorTask, RunResult } from "./executor-protocol.ts";

/**
 * The worker side of one executor: a long-lived worker thread that runs user functions one job at a
 * time (so warm jobs pay no start-up), started ahead of need and replaced when it dies or is killed.
 * A worker has one Executor per concurrency slot.
 *
 * Why a thread and not a child process: it isolates everything a job can do wrong that the issue asks
 * for — a throw from a timer or an unhandled rejection ends only the thread (reported as that job's
 * error), `process.exit()` in a thread ends only the thread, and `terminate()` stops even a busy loop —
 * while starting in a few milliseconds instead of a second Node boot (~100 ms), which is most of the
 * cold-start budget. What a thread cannot contain (a native module crashing the process, exhausting
 * the heap of the whole process) takes the worker down, and the platform replaces it.
 */
export class Executor {
  private thread: Worker | undefined;
  private ready: Promise<void> | undefined;
  private running:
    | { id: string; resolve: (r: RunResult) => void; onChunk?: (outputJson: string) => void }
    | undefined;
  private closed = false;

  constructor(
    private readonly entry: string,
    private readonly log: (line: string) => void,
  ) {}

  /** Starts the thread now, so the first job does not wait for it. */
  start(): void {
    if (this.thread || this.closed) return;
    const thread = new Worker(this.entry, {
      workerData: { flashExecutor: true },
      stdout: false,
      stderr: false,
    });
    this.thread = thread;
    let becameReady = false;
    this.ready = new Promise((resolve) => {
      const onReady = (msg: ExecutorReply) => {
        if (msg?.type === "ready") {
          becameReady = true;
          thread.off("message", onReady);
          resolve();
        }
      };
      thread.on("message", onReady);
      thread.once("exit", () => resolve());
    });
    thread.on("message", (msg: ExecutorReply) => {
      if (msg?.type === "chunk" && this.thread === thread && msg.id === this.running?.id) {
        this.running.onChunk?.(msg.outputJson);
        return;
      }
      if (msg?.type !== "result" || this.thread !== thread || msg.id !== this.running?.id) return;
      const { resolve } = this.running;
      this.running = undefined;
      resolve(msg.ok ? { ok: true, outputJson: msg.outputJson } : { ok: false, error: msg.error });
    });
    // An error nothing caught (a throw from a timer, an unhandled rejection) ends the thread: it is
    // the running job's error.
    let uncaught: unknown;
    thread.on("error", (err) => {
      uncaught = err;
    });
    thread.once("exit", (code) => {
      if (this.thread !== thread) return;
      this.thread = undefined;
      this.ready = undefined;
      const running = this.running;
      this.running = undefined;
      if (running) {
        const e = uncaught instanceof Error ? uncaught : undefined;
        running.resolve({
          ok: false,
          error: e
            ? {
                error_type: e.name || "Error",
                error_message: `uncaught error while running the function: ${e.message}`,
                error_traceback: e.stack,
              }
            : {
                error_type: "WorkerCrash",
                error_message:
                  uncaught === undefined
                    ? `the function's thread exited (code ${code}) before returning; did it call process.exit()?`
                    : `uncaught non-Error value while running the function: ${String(uncaught)}`,
              },
        });
      } else if (uncaught !== undefined) {
        this.log(
          `uncaught error between jobs: ${uncaught instanceof Error ? uncaught.message : String(uncaught)}`,
        );
      }
      // Replace it at once, so the next job finds a warm thread; but a thread that cannot even start
      // (a broken install) is retried after a pause rather than in a tight loop.
      if (this.closed) return;
      if (becameReady) this.start();
      else {
        this.log(`executor thread ended before it was ready (code ${code}); starting another in 1 s`);
        setTimeout(() => this.start(), 1000).unref();
      }
    });
  }

  /** The id of the job running now, if any. */
  get currentJob(): string | undefined {
    return this.running?.id;
  }

  /**
   * Runs one job; the executor must be idle. The job counts as running (and killable) at once.
   * `onChunk` receives each value a generator function yields, as JSON text.
   */
  run(task: ExecutorTask, onChunk?: (outputJson: string) => void): Promise<RunResult> {
    if (this.running) throw new Error("executor busy");
    this.start();
    return new Promise<RunResult>((resolve) => {
      this.running = { id: task.id, resolve, onChunk };
      void this.ready?.then(() => {
        if (this.running?.id !== task.id) return; // killed while the thread was starting
        const thread = this.thread;
        if (!thread) return; // exited: the exit handler resolved the job
        try {
          thread.postMessage(task);
        } catch (err) {
          this.running = undefined;
          resolve({
            ok: false,
            error: {
              error_type: "WorkerError",
              error_message: `could not hand the job over: ${(err as Error).message}`,
            },
          });
        }
      });
    });
  }

  /** Stops the thread (and so the job it runs, even a busy loop); a fresh one starts unless closed. */
  kill(): void {
    void this.thread?.terminate();
  }

  close(): void {
    this.closed = true;
    void this.thread?.terminate();
  }
}
