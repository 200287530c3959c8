import { FlashError } from "../../shared/errors.ts";
import { parseAllowedHosts } from "../../shared/request-guard.ts";

/**
 * `flash emulator [--port 8787] [--host 127.0.0.1] [--api-key KEY] [--allowed-hosts LIST]`: runs the RunPod emulator in the
 * foreground, prints its URL, the line that points the SDK and CLI at it and the environment a
 * worker of your own needs to poll it (never the `--api-key` itself), and stays up until Ctrl+C or
 * SIGTERM, then stops every worker process and exits 0.
 */
export async function emulatorCommand(opts: Record<string, unknown>): Promise<void> {
  const port = Number(opts.port ?? 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new FlashError(
      "USAGE",
      `--port must be a port number (0-65535), got ${JSON.stringify(opts.port)}.`,
    );
  }
  const host = typeof opts.host === "string" && opts.host ? opts.host : "127.0.0.1";
  const apiKey = typeof opts.apiKey === "string" && opts.apiKey ? opts.apiKey : undefined;
  const allowedHosts = parseAllowedHosts(
    typeof opts.allowedHosts === "string" ? opts.allowedHosts : undefined,
  );
  const { createEmulator, workerEnvBanner } = await import("../../emulator/index.ts");
  const emulator = await createEmulator({
    port,
    host,
    apiKey,
    allowedHosts,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  // Listening for Ctrl+C and SIGTERM before anything is printed: whoever reads the banner may stop
  // the emulator at once, and a signal with no listener yet would kill it without stopping workers.
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  process.stdout.write(
    [
      `Flash emulator listening on ${emulator.url}`,
      "",
      "Point the SDK and CLI at it:",
      `  export RUNPOD_API_URL=${emulator.url}`,
      apiKey
        ? "  API key: only the one given with --api-key is accepted"
        : "  API key: any non-empty key is accepted",
      "",
      ...workerEnvBanner(emulator.url, { apiKeyRequired: apiKey !== undefined }),
      "",
      "State is in memory and lost on exit. Press Ctrl+C to stop.",
      "",
    ].join("\n"),
  );
  await stopped;
  process.stderr.write("stopping workers...\n");
  await emulator.close();
  process.stderr.write("emulator stopped\n");
}
