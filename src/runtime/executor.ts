import { type ChildProcess, fork } from "node:child_process";
import type { ExecutorReply, ExecutorTask, RunResult } from "./executor-protocol.ts";

/**
 * The worker side of one executor child: a long-lived process that runs one job at a time (so warm
 * jobs pay no spawn), forked ahead of need and replaced when it dies or is killed. A worker has one
 * Executor per concurrency slot.
 */
export class Executor {
  private child: ChildProcess | undefined;
  private ready: Promise<void> | undefined;
  private running: { id: string; resolve: (r: RunResult) => void } | undefined;
  private closed = false;

  constructor(
    private readonly entry: string,
    private readonly log: (line: string) => void,
  ) {}

  /** Forks the child now, so the first job does not wait for it. */
  start(): void {
    if (this.child || this.closed) return;
    const child = fork(this.entry, [], {
      env: { ...process.env, FLASH_EXECUTOR_CHILD: "1" },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.child = child;
    this.ready = new Promise((resolve) => {
      const onReady = (msg: ExecutorReply) => {
        if (msg?.type === "ready") {
          child.off("message", onReady);
          resolve();
        }
      };
      child.on("message", onReady);
      child.once("exit", () => resolve());
    });
    child.on("message", (msg: ExecutorReply) => {
      if (msg?.type !== "result" || this.child !== child || !this.running || msg.id !== this.running.id)
        return;
      const { resolve } = this.running;
      this.running = undefined;
      if (!msg.ok && msg.fatal) this.replace(child);
      resolve(msg.ok ? { ok: true, outputJson: msg.outputJson } : { ok: false, error: msg.error });
    });
    child.once("exit", (code, signal) => {
      // A child already replaced (it reported a fatal error) owns no job any more.
      if (this.child !== child) return;
      this.child = undefined;
      this.ready = undefined;
      const running = this.running;
      this.running = undefined;
      running?.resolve({
        ok: false,
        error: {
          error_type: "WorkerCrash",
          error_message: `the process running the function exited (${signal ? `signal ${signal}` : `code ${code}`}) before returning`,
        },
      });
      // Replace it at once: the next job should find a warm process.
      if (!this.closed) this.start();
    });
    child.on("error", (err) => this.log(`executor process error: ${err.message}`));
  }

  /** The id of the job running now, if any. */
  get currentJob(): string | undefined {
    return this.running?.id;
  }

  /** Runs one job; the executor must be idle. The job counts as running (and killable) at once. */
  run(task: ExecutorTask): Promise<RunResult> {
    if (this.running) throw new Error("executor busy");
    this.start();
    return new Promise<RunResult>((resolve) => {
      this.running = { id: task.id, resolve };
      void this.ready?.then(() => {
        const child = this.child;
        if (this.running?.id !== task.id) return; // killed while the process was starting
        if (!child?.connected) {
          this.running = undefined;
          resolve({
            ok: false,
            error: { error_type: "WorkerCrash", error_message: "the executor process is not running" },
          });
          return;
        }
        child.send(task, (err) => {
          if (err && this.running?.id === task.id) {
            this.running = undefined;
            resolve({
              ok: false,
              error: {
                error_type: "WorkerError",
                error_message: `could not hand the job to its process: ${err.message}`,
              },
            });
          }
        });
      });
    });
  }

  /** Detaches a child that is exiting and forks its successor at once. */
  private replace(child: ChildProcess): void {
    this.child = undefined;
    this.ready = undefined;
    child.kill("SIGKILL");
    this.start();
  }

  /** Kills the child (and so the job it runs); a fresh one is forked unless closed. */
  kill(): void {
    this.child?.kill("SIGKILL");
  }

  close(): void {
    this.closed = true;
    this.child?.kill("SIGKILL");
  }
}
