import { type ChildProcess, spawn } from "node:child_process";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root, where bin/flash.js lives. */
export const REPO = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(REPO, "bin", "flash.js");

/** A `flash` process under test: its output so far, and helpers to wait on it. */
export class FlashProcess {
  stdout = "";
  stderr = "";
  readonly exited: Promise<number | null>;
  private readonly waiters = new Set<() => void>();

  constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      this.stdout += d;
      this.notify();
    });
    child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      this.stderr += d;
      this.notify();
    });
    this.exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
    void this.exited.then(() => this.notify());
  }

  get output(): string {
    return this.stdout + this.stderr;
  }

  private notify(): void {
    for (const w of this.waiters) w();
  }

  /** Waits until the combined output matches `pattern` (counting from `from` characters). */
  async waitFor(pattern: RegExp, timeoutMs = 30_000, from = 0): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = this.stdout.slice(from).match(pattern) ?? this.stderr.match(pattern);
      if (match) return match;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${pattern} (exit ${this.child.exitCode})\n--- stdout\n${this.stdout}\n--- stderr\n${this.stderr}`,
        );
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          this.waiters.delete(done);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(done, 200);
        this.waiters.add(done);
      });
    }
  }

  /** Waits for the startup table and returns the server URL. */
  async url(timeoutMs = 30_000): Promise<string> {
    const match = await this.waitFor(/Flash Dev Server {2}(http:\/\/\S+)/, timeoutMs);
    return match[1] as string;
  }

  /** `signal` (SIGTERM unless told), then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000, signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

/** Every process started by {@link runFlash}, so afterEach can stop the ones a failed test left. */
const running = new Set<FlashProcess>();

/** Starts `flash <args>` in `cwd`. */
export function runFlash(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): FlashProcess {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: "0", ...env };
  // Tests run local unless they ask otherwise: a developer's own key must not send jobs to RunPod.
  if (!("RUNPOD_API_KEY" in env)) delete childEnv.RUNPOD_API_KEY;
  if (!("RUNPOD_API_URL" in env)) delete childEnv.RUNPOD_API_URL;
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const proc = new FlashProcess(child);
  running.add(proc);
  void proc.exited.then(() => running.delete(proc));
  return proc;
}

/** Stops every process {@link runFlash} started that is still running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

/** Copies `test/fixtures/<name>` to a fresh temp folder and returns its path. */
export async function copyFixture(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `flash-${name}-`));
  await cp(join(REPO, "test", "fixtures", name), dir, { recursive: true });
  return dir;
}

/** A fixture copy with `flash` serving it. */
export interface ServedFixture {
  dir: string;
  flash: FlashProcess;
  /** The dev server's base URL, from its startup table. */
  url: string;
  /** Stops the server (and anything else {@link runFlash} left running) and removes the copy. */
  close(): Promise<void>;
}

/** Copies `test/fixtures/<name>`, runs `flash <args>` in the copy and waits for the server's URL. */
export async function serveFixture(
  name: string,
  args: string[] = ["run", "--port", "0", "--no-reload"],
): Promise<ServedFixture> {
  const dir = await copyFixture(name);
  const flash = runFlash(dir, args);
  const close = async () => {
    await stopAll();
    await removeDir(dir);
  };
  try {
    return { dir, flash, url: await flash.url(60_000), close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Removes a temp project. */
export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}

/** JSON request helper: returns status, parsed body (or text) and headers. */
export async function request(
  url: string,
  init: { method?: string; body?: string; json?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: unknown; text: string; headers: Headers }> {
  const headers: Record<string, string> = { ...init.headers };
  let body = init.body;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    headers["content-type"] ??= "application/json";
  }
  const res = await fetch(url, {
    method: init.method ?? (body === undefined ? "GET" : "POST"),
    body,
    headers,
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: keep the text.
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}
