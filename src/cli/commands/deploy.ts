import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { connectControlPlane } from "../../cloud/control-plane.ts";
import { resolveApiKey } from "../../cloud/credentials.ts";
import type { HttpEvent } from "../../cloud/http.ts";
import type { DeployResult } from "../../deploy/deploy.ts";
import { deployEnvironment } from "../../deploy/env-values.ts";
import { checkEnvironmentName, DEFAULT_ENVIRONMENT } from "../../deploy/names.ts";
import { curlCommand } from "../../deploy/urls.ts";
import { FlashError } from "../../shared/errors.ts";
import { formatWarnings, table } from "../format.ts";
import { formatBuild, waitingLine } from "./build.ts";

/**
 * `flash deploy [dir] [--env NAME]`: build, upload, and make one endpoint per resource match its
 * config; prints each step as it happens and a table of URLs at the end. The API key is resolved
 * (RUNPOD_API_KEY, .env, ~/.runpod/config.toml) but never printed.
 */
export async function deployCommand(dir: string, opts: { env?: string }): Promise<void> {
  const root = resolve(dir);
  if (!existsSync(root)) throw new FlashError("USAGE", `no such folder: ${dir}`);
  const environment = checkEnvironmentName(opts.env ?? DEFAULT_ENVIRONMENT);
  const env = await deployEnvironment(root);
  // Credentials and target first: a missing key fails before anything is built.
  const resolved = await resolveApiKey({ env });
  const controlPlane = await connectControlPlane({ env, http: { onEvent: debugLogger() } });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const keyFrom = !resolved
    ? "no API key"
    : resolved.source === "env"
      ? "API key from RUNPOD_API_KEY"
      : `API key from ${resolved.path ?? "~/.runpod/config.toml"}`;
  out(
    `Deploying to ${controlPlane.isEmulator ? `the emulator at ${controlPlane.urls.emulatorOrigin}` : "RunPod"} (environment ${environment}, ${keyFrom})`,
  );

  const { buildProject, withBuildLock } = await import("../../build/build-project.ts");
  const result = await withBuildLock(
    root,
    (pid) => out(waitingLine(pid, root)),
    async () => {
      out(`Building ${root}...`);
      const build = await buildProject(root, { env, log: (line) => out(`  ${line}`) });
      process.stderr.write(formatWarnings(build.scan.warnings));
      out(formatBuild(build));
      out("");

      const { deploy } = await import("../../deploy/deploy.ts");
      return deploy({
        build,
        controlPlane,
        environment,
        env,
        apiKey: resolved?.apiKey,
        progress: (line) => out(`  ${line}`),
      });
    },
  );
  out("");
  out(formatDeploy(result));
}

/** The endpoints table, the summary line, and a ready-to-paste curl per endpoint. */
export function formatDeploy(result: DeployResult): string {
  const rows: string[][] = [];
  for (const e of result.endpoints) {
    e.urls.forEach((url, i) => {
      rows.push(
        i === 0 ? [e.resourceName, e.type, e.endpointName, e.id, e.status, url] : ["", "", "", "", "", url],
      );
    });
  }
  const counts = (s: string) => result.endpoints.filter((e) => e.status === s).length;
  const summary = result.unchanged
    ? `No changes: ${result.endpoints.length} endpoint${result.endpoints.length === 1 ? "" : "s"} already up to date in ${result.environment}.`
    : `Deployed ${result.appName} to ${result.environment}: ${counts("created")} created, ${counts("updated")} updated, ${counts("unchanged")} unchanged` +
      (result.removed.length > 0 ? `, ${result.removed.length} removed` : "") +
      (result.uploaded ? " (new build uploaded)." : ".");
  const calls = result.endpoints.map((e) => `  # ${e.endpointName} (${e.type})\n  ${curlCommand(e.example)}`);
  return [
    table(["Resource", "Type", "Endpoint", "Id", "Status", "URL"], rows),
    "",
    summary,
    "",
    "Call it (RUNPOD_API_KEY set to your key):",
    ...calls,
  ].join("\n");
}

/** With FLASH_DEBUG set, one line per RunPod request (operation and status; never the key or a URL's query). */
export function debugLogger(): ((event: HttpEvent) => void) | undefined {
  if (!process.env.FLASH_DEBUG) return undefined;
  return (event) => {
    const line =
      event.type === "retry"
        ? `retry ${event.operation} #${event.attempt} in ${event.delayMs} ms (${event.reason})`
        : `${event.operation} -> HTTP ${event.status}`;
    process.stderr.write(`[debug] ${line}\n`);
  };
}
