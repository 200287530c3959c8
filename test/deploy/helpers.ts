import { type ChildProcess, spawn } from "node:child_process";
import { FLASH_BIN } from "../helpers/cli.ts";

export interface FlashRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const running = new Set<ChildProcess>();

/**
 * Runs the built CLI to completion. The environment is exactly `env` plus PATH and HOME (no
 * RUNPOD_* or FLASH_* leaks in from the machine running the tests); `stdin` is written then closed.
 */
export function flash(
  args: string[],
  o: { cwd: string; env?: NodeJS.ProcessEnv; stdin?: string; timeoutMs?: number },
): Promise<FlashRun> {
  const child = start(args, o);
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => {
      stdout += d;
    });
    child.stderr!.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), o.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts the CLI and returns the process (stdout/stderr piped); {@link stopAll} kills what is left. */
export function start(
  args: string[],
  o: { cwd: string; env?: NodeJS.ProcessEnv; stdin?: string },
): ChildProcess {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...o.env };
  const child = spawn(process.execPath, [FLASH_BIN, ...args], {
    cwd: o.cwd,
    env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  running.add(child);
  child.on("close", () => running.delete(child));
  child.stdin!.on("error", () => {});
  child.stdin!.end(o.stdin ?? "");
  return child;
}

/** Kills every CLI process still running (afterEach/afterAll, so a failed test leaves none). */
export function stopAll(): void {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}
