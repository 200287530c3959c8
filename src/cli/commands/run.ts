import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { type DevServer, startDevServer } from "../../dev/dev-server.ts";
import type { TargetMode } from "../../dev/targets.ts";
import { FlashError } from "../../shared/errors.ts";
import { parseAllowedHosts } from "../../shared/request-guard.ts";
import { colourEnabled, paintDevOutput } from "../colour.ts";

/** Options of `flash run` as commander hands them over. */
interface RunOptions {
  port?: string;
  host?: string;
  allowedHosts?: string;
  local?: boolean;
  live?: boolean;
  reload?: boolean;
  verbose?: boolean;
}

/**
 * `flash run [dir]`: serves the project until Ctrl+C or SIGTERM, then removes the live endpoints
 * this session created and exits 0.
 */
export async function runCommand(dir: string, opts: RunOptions): Promise<void> {
  const root = resolve(dir);
  if (!existsSync(root)) throw new FlashError("USAGE", `no such folder: ${dir}`);
  const port = Number(opts.port ?? "8888");
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new FlashError(
      "USAGE",
      `--port must be a port number (0–65535), got ${JSON.stringify(opts.port)}.`,
    );
  }
  const allowedHosts = parseAllowedHosts(opts.allowedHosts);
  // Like RunPod's other tools, a project's .env is read (existing variables win), so RUNPOD_API_KEY
  // can live there; its values reach endpoints only where a config's `env` names them.
  const envFile = join(root, ".env");
  if (existsSync(envFile)) process.loadEnvFile(envFile);

  const mode: TargetMode = opts.live
    ? "live"
    : opts.local
      ? "local"
      : process.env.RUNPOD_API_KEY
        ? "live"
        : "local";
  // Signals are handled from the start, so one arriving while the server starts still cleans up
  // (the default action would kill the process before live endpoints are removed).
  let server: DevServer | undefined;
  let stopping = false;
  let stopped: () => void = () => {};
  const done = new Promise<void>((resolveDone) => {
    stopped = resolveDone;
  });
  const stop = async (signal: string) => {
    if (stopping) {
      process.stderr.write(`${signal} again: exiting without cleanup.\n`);
      process.exit(130);
    }
    stopping = true;
    if (!server) return; // startup sees `stopping` and stops right after
    process.stdout.write("\nStopping the dev server and cleaning up...\n");
    try {
      const removed = await server.close();
      for (const line of removed) process.stdout.write(`  ${line}\n`);
      process.stdout.write("Server stopped.\n");
    } catch (err) {
      process.stderr.write(`cleanup failed: ${(err as Error).message}\n`);
    }
    stopped();
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));

  const { scanProject } = await import("../../scan/index.ts");
  const colourOut = colourEnabled(process.stdout);
  const colourErr = colourEnabled(process.stderr);
  server = await startDevServer({
    root,
    host: opts.host ?? "127.0.0.1",
    allowedHosts,
    port,
    reload: opts.reload !== false,
    verbose: opts.verbose === true,
    scan: scanProject,
    executesOn: await executesOnFor(mode),
    // Live mode removes a crashed session's endpoints at once; the local emulator starts on first use.
    startTargetAtOnce: mode === "live",
    // Loaded when used: the RunPod client and emulator are not needed to serve /ping.
    createTarget: async (context) =>
      (await import("../../dev/targets.ts")).createExecutionTarget(mode, context),
    log: (text) => process.stdout.write(lineOf(paintDevOutput(colourOut, text))),
    warn: (text) => process.stderr.write(lineOf(paintDevOutput(colourErr, text))),
  });
  if (stopping) {
    stopping = false;
    void stop("signal");
  }
  await done;
  // Local workers, the watcher and keep-alive sockets are closed; exit now rather than wait for a
  // stray handle in user code (a timer an LB module started) to let the loop end.
  process.exit(0);
}

/**
 * The startup table's "QB functions execute on" for a mode. For `live` it also checks that a key is
 * configured (unless `RUNPOD_API_URL` points at an emulator), so a missing key fails at start-up.
 */
async function executesOnFor(mode: TargetMode): Promise<string> {
  if (mode === "local") return "local workers";
  const apiUrl = process.env.RUNPOD_API_URL?.trim();
  if (apiUrl) return `the RunPod emulator at ${apiUrl.replace(/\/+$/, "")} (live endpoints)`;
  const { requireApiKey } = await import("../../cloud/credentials.ts");
  await requireApiKey();
  return "RunPod (live endpoints)";
}

function lineOf(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}
