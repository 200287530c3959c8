import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Path of the built CLI entry, as the package's `bin.flash` runs it. */
export const FLASH_BIN = fileURLToPath(new URL("../../bin/flash.js", import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `flash <args>` to completion (killed after `timeoutMs`), with RUNPOD_API_KEY unset. */
export function runFlash(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; bin?: string } = {},
): Promise<CliResult> {
  const env = { ...process.env, ...options.env };
  if (!options.env?.RUNPOD_API_KEY) delete env.RUNPOD_API_KEY;
  return runCommand(process.execPath, [options.bin ?? FLASH_BIN, ...args], { ...options, env });
}

/** Runs `command args` to completion (killed after `timeoutMs`) with exactly `env`, collecting its output. */
export function runCommand(
  command: string,
  args: string[],
  options: { cwd?: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
