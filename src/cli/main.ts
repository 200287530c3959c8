import { Command, CommanderError, Option } from "commander";
import { exitCodeOf, FlashError, isFlashError } from "../shared/errors.ts";
import { ALLOWED_HOSTS_ENV } from "../shared/request-guard.ts";
import { VERSION } from "../shared/version.ts";

/**
 * The `flash` command line. Commands are declared here (so `--help` needs no heavy import) and
 * each one's module is loaded only when it runs. This file is the only place that prints errors
 * and sets the exit code.
 */
const program = new Command("flash")
  .description("Flash for TypeScript: remote() functions served locally and deployed to RunPod Serverless.")
  .version(VERSION)
  .showHelpAfterError()
  .configureOutput({ outputError: (str, write) => write(str) })
  // Commander's own exits (unknown command or option, conflicting flags, --help) come back as
  // errors, so a usage error exits 2 as the README says, not commander's 1. Set before any
  // .command(): subcommands copy it when created.
  .exitOverride();

program
  .command("init")
  .description("Create a small working project (a QB worker and an LB route calling it)")
  .argument("[name]", "folder to create (default: the current folder)")
  .action(async (name: string | undefined) => {
    const { initCommand } = await import("./commands/init.ts");
    await initCommand(name);
  });

program
  .command("routes")
  .description("List the routes discovery finds, without starting anything")
  .option("--json", "print a JSON array of routes")
  .argument("[dir]", "project folder", ".")
  .action(async (dir: string, opts: { json?: boolean }) => {
    const { routesCommand } = await import("./commands/routes.ts");
    await routesCommand(dir, opts);
  });

program
  .command("build")
  .description("Scan and bundle the project: .flash/manifest.json and .flash/artifact.tar.gz")
  .argument("[dir]", "project folder", ".")
  .action(async (dir: string) => {
    const { buildCommand } = await import("./commands/build.ts");
    await buildCommand(dir);
  });

program
  .command("deploy")
  .description("Build and deploy: one RunPod endpoint per file, created or updated in place")
  .option("--env <name>", "environment: endpoints are named <name>-<env> outside production", "production")
  .argument("[dir]", "project folder", ".")
  .action(async (dir: string, opts: { env?: string }) => {
    const { deployCommand } = await import("./commands/deploy.ts");
    await deployCommand(dir, opts);
  });

program
  .command("status")
  .description("List the deployed endpoints of an environment: URL, workers and queue health")
  .option("--env <name>", "environment to show", "production")
  .argument("[dir]", "project folder", ".")
  .action(async (dir: string, opts: { env?: string }) => {
    const { statusCommand } = await import("./commands/status.ts");
    await statusCommand(dir, opts);
  });

program
  .command("undeploy")
  .description(
    "Remove what flash deploy created for an environment (or, with --live, orphaned live endpoints)",
  )
  .option("--env <name>", "environment to remove", "production")
  .option("--live", "remove the live endpoints of flash run sessions that stopped without cleaning up")
  .option("-y, --yes", "do not ask for confirmation")
  .argument("[dir]", "project folder", ".")
  .action(async (dir: string, opts: { env?: string; live?: boolean; yes?: boolean }) => {
    const { undeployCommand } = await import("./commands/undeploy.ts");
    await undeployCommand(dir, opts);
  });

program
  .command("login")
  .description("Store your RunPod API key in ~/.runpod/config.toml (read from stdin, input hidden)")
  .option("--api-key <key>", "the key (prefer stdin: command-line arguments are visible to other users)")
  .option("--no-verify", "save without checking the key against RunPod")
  .action(async (opts: { apiKey?: string; verify?: boolean }) => {
    const { loginCommand } = await import("./commands/login.ts");
    await loginCommand(opts);
  });

program
  .command("run")
  .alias("dev")
  .description("Serve the project locally: one route per remote function, hot reload")
  .addOption(
    new Option("--port <port>", "port to listen on (the next free one if taken)")
      .env("FLASH_PORT")
      .default("8888"),
  )
  .addOption(new Option("--host <host>", "interface to bind").env("FLASH_HOST").default("127.0.0.1"))
  .addOption(
    new Option(
      "--allowed-hosts <list>",
      "host names to answer besides localhost and IP addresses (comma-separated; .example.com allows subdomains; all: no check)",
    ).env(ALLOWED_HOSTS_ENV),
  )
  .addOption(new Option("--local", "run QB functions on local workers (embedded emulator)").conflicts("live"))
  .addOption(new Option("--live", "run QB functions on RunPod (needs RUNPOD_API_KEY)").conflicts("local"))
  .option("--no-reload", "do not watch files")
  .option("--verbose", "also print a line per request (method, path, status, ms) and worker lifecycle lines")
  .argument("[dir]", "project folder", ".")
  .action(async (dir: string, opts: Record<string, unknown>) => {
    const { runCommand } = await import("./commands/run.ts");
    await runCommand(dir, opts);
  });

program
  .command("emulator")
  .description("Start the local RunPod emulator (control plane, queue API, workers)")
  .option("--port <port>", "port to listen on", "8787")
  .option("--host <host>", "interface to bind", "127.0.0.1")
  .option("--api-key <key>", "accept only this API key (default: any non-empty key)")
  .addOption(
    new Option(
      "--allowed-hosts <list>",
      "host names to answer besides localhost and IP addresses (comma-separated; .example.com allows subdomains; all: no check)",
    ).env(ALLOWED_HOSTS_ENV),
  )
  .action(async (opts: Record<string, unknown>) => {
    const { emulatorCommand } = await import("./commands/emulator.ts");
    await emulatorCommand(opts);
  });

async function main(argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = err instanceof CommanderError ? commanderExitCode(err) : report(err);
  }
}

/** Commander already printed its message (and the help). --help and --version exit 0; the rest are usage errors. */
function commanderExitCode(err: CommanderError): number {
  return err.exitCode === 0 ? 0 : exitCodeOf.USAGE;
}

function report(err: unknown): number {
  if (isFlashError(err)) {
    process.stderr.write(`error: ${err.message}\n`);
    if (err.hint) process.stderr.write(`\n${err.hint}\n`);
    if (process.env.FLASH_DEBUG && err.cause) process.stderr.write(`\ncause: ${String(err.cause)}\n`);
    return exitCodeOf[err.code];
  }
  const shown = err instanceof Error ? (process.env.FLASH_DEBUG ? err.stack : err.message) : String(err);
  process.stderr.write(`internal error: ${shown}\n`);
  if (!process.env.FLASH_DEBUG) process.stderr.write("Set FLASH_DEBUG=1 for the stack trace.\n");
  return exitCodeOf.INTERNAL;
}

export { FlashError };

await main(process.argv);
