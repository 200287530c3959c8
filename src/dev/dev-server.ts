import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { noFunctionsError } from "../scan/index.ts";
import { LIVE_SESSION_ID_LENGTH } from "../scan/naming.ts";
import type { ScanResult } from "../scan/types.ts";
import { setDispatcher } from "../sdk/remote.ts";
import { FlashError, isFlashError } from "../shared/errors.ts";
import type { AllowedHosts } from "../shared/request-guard.ts";
import { REGISTER_QB_MODULE } from "./bundle.ts";
import { createDevApp, type RequestListener } from "./dev-app.ts";
import { DevDispatcher } from "./dispatcher.ts";
import { docsSourceOf } from "./docs.ts";
import type { ExecutionTarget } from "./execution.ts";
import { failureReport } from "./failure-report.ts";
import { ensureGitignored } from "./gitignore.ts";
import { HttpHost } from "./http-host.ts";
import { JobOwners } from "./job-owners.ts";
import { messageOf as callMessageOf, httpStatusOf, type LbHandlerFn, stackOf } from "./lb-call.ts";
import {
  devBundleDir,
  type LoadedLbModules,
  lbKey,
  loadLbHandlers,
  removeStaleDevBundles,
} from "./lb-modules.ts";
import { checkReservedRoutes, type DevRoute, devRoutesOf, type LbRoute, type QbRoute } from "./routes.ts";
import { cliSdkEntry } from "./sdk-entry.ts";
import { writeServerFile } from "./server-file.ts";
import { formatWarning, routeChanges, startupTable } from "./table.ts";
import { type ProjectWatcher, watchProject } from "./watcher.ts";
import { WorkerBundles } from "./worker-bundles.ts";

/** What the dev server needs to know about the session it serves. */
export interface TargetContext {
  root: string;
  /** Short id of this dev session, part of live endpoint names. */
  sessionId: string;
  /** Absolute path of the SDK entry user modules import. */
  sdkEntry: string;
  /** The current scan (changes on reload). */
  scan(): ScanResult;
  /** Reports a line to the user (stdout). */
  log(line: string): void;
  /** Output of local workers (the user's own logging in QB functions). */
  workerLog(line: string): void;
  /** `--verbose`: worker lifecycle lines (starting, stopping when idle) are shown too. */
  verbose: boolean;
}

/** Options of {@link startDevServer}. */
export interface DevServerOptions {
  /** Project folder. */
  root: string;
  host: string;
  /** Host names answered besides localhost, IP addresses and `host` (`--allowed-hosts`), or `"all"`. */
  allowedHosts?: AllowedHosts;
  /** Port asked for; the next free one is used when it is taken. 0 picks any. */
  port: number;
  /** Watch files and reload on change. */
  reload: boolean;
  /**
   * Creates the execution target of QB calls, after the server listens (see `startTargetAtOnce`),
   * so start-up never waits for an emulator or the RunPod API; QB calls wait for it instead.
   */
  createTarget(context: TargetContext): Promise<ExecutionTarget>;
  /** Where QB functions execute, for the startup table (`local workers`, `RunPod (live endpoints)`). */
  executesOn: string;
  /** Create the target right after listening instead of on the first QB call. */
  startTargetAtOnce?: boolean;
  /** Discovery; injected so the CLI loads the scanner lazily and tests can hand-make scans. */
  scan(root: string): Promise<ScanResult>;
  /** Progress and tables (stdout). */
  log(text: string): void;
  /** Warnings and reload errors (stderr). */
  warn(text: string): void;
  /** Output of local workers. @default log */
  workerLog?(text: string): void;
  /** `--verbose`: a line per request (method, path, status, ms) and worker lifecycle lines. */
  verbose?: boolean;
  /** Put error stacks in 500 responses. @default true */
  showStacks?: boolean;
  /** Debounce of file events in ms. @default 25 */
  debounceMs?: number;
}

/** A running dev server. */
export interface DevServer {
  url: string;
  port: number;
  sessionId: string;
  /** The routes served now. */
  routes(): readonly DevRoute[];
  /** Re-scans and swaps routes now (what a file change does). Resolves true when the new routes serve. */
  reload(): Promise<boolean>;
  /**
   * Stops watching, removes the live endpoints this session created, stops local workers and
   * closes the server.
   * @returns one line per removed endpoint
   */
  close(): Promise<string[]>;
}

interface Generation {
  id: number;
  scan: ScanResult;
  routes: DevRoute[];
  lb: LoadedLbModules;
}

/**
 * Starts `flash run`: scans, writes `.flash/server.ts`, gitignores `.flash/`, loads LB modules,
 * serves the routes, prints the startup table, and reloads on file changes.
 * @throws FlashError for a project that cannot be served (no functions, syntax error, a module that
 *   throws at import, no free port)
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const root = resolve(options.root);
  const sessionId = randomBytes(LIVE_SESSION_ID_LENGTH / 2).toString("hex");
  const sdkEntry = cliSdkEntry();
  const owners = new JobOwners();
  // Stack traces of user code point at the .ts files, not at the bundles.
  process.setSourceMapsEnabled(true);
  // FLASH_DEBUG_TIMING=1 reports how long each start-up phase took (for tuning start-up time).
  const started = performance.now();
  const phase = process.env.FLASH_DEBUG_TIMING
    ? (name: string) => options.warn(`timing: ${name} at ${(performance.now() - started).toFixed(0)} ms`)
    : () => {};
  phase(`start (process up ${performance.now().toFixed(0)} ms)`);

  const scan = await scanOrThrow(options.scan, root);
  phase("scanned");
  for (const w of scan.warnings) options.warn(formatWarning(w));
  await mkdir(join(root, ".flash"), { recursive: true });
  await removeStaleDevBundles(root);
  await ensureGitignored(root);
  phase(".flash ready");

  let current: Generation = {
    id: 1,
    scan,
    routes: devRoutesOf(scan),
    lb: NO_LB_MODULES,
  };
  const bundles = new WorkerBundles(root);
  let target: Promise<ExecutionTarget> | undefined;
  // Started once: at start-up when asked (live mode, to clean up orphans and fail early), else on
  // the first QB call, so the emulator's start never delays serving.
  const startTarget = (): Promise<ExecutionTarget> => {
    if (!target) {
      target = options.createTarget({
        root,
        sessionId,
        sdkEntry,
        scan: () => current.scan,
        log: options.log,
        workerLog: options.workerLog ?? options.log,
        verbose: options.verbose === true,
      });
      target.then(
        () => phase("target started"),
        (err) => options.warn(`QB functions cannot run: ${messageOf(err)}`),
      );
    }
    return target;
  };
  const dispatcher = new DevDispatcher({
    resourceOf: (file) => current.scan.resources.find((r) => r.file === file),
    bundleOf: (file) => bundles.get(file),
    target: () => startTarget(),
    root,
  });
  // Every failed call gets one line (and the code frame of the user's line) in the terminal.
  const reportFailure = (method: string, path: string, fn: string, err: unknown) =>
    options.warn(failureReport({ method, path, fn, message: callMessageOf(err), stack: stackOf(err), root }));
  const reporting = new WeakMap<LbHandlerFn, LbHandlerFn>();
  const reportingLb = (route: LbRoute, handler: LbHandlerFn | undefined): LbHandlerFn | undefined => {
    if (!handler) return undefined;
    let wrapped = reporting.get(handler);
    if (!wrapped) {
      wrapped = async (input, ctx) => {
        try {
          return await handler(input, ctx);
        } catch (err) {
          // A 4xx the handler chose is an answer, not a failure.
          if (httpStatusOf(err) >= 500) reportFailure(route.method, route.path, route.fn.name, err);
          throw err;
        }
      };
      reporting.set(handler, wrapped);
    }
    return wrapped;
  };
  const globals = globalThis as { [REGISTER_QB_MODULE]?: unknown };
  globals[REGISTER_QB_MODULE] = dispatcher.register;
  setDispatcher(dispatcher);

  const buildApp = (generation: Generation): RequestListener =>
    createDevApp({
      routes: generation.routes,
      showStacks: options.showStacks ?? true,
      root,
      owners,
      docs: docsSourceOf(generation.routes),
      endpoint: (route: QbRoute) => startTarget().then((t) => t.endpoint(route.resource)),
      bundleOf: (file) => bundles.get(file),
      reportFailure: (route, message, stack) =>
        options.warn(
          failureReport({ method: route.method, path: route.path, fn: route.fn.name, message, stack, root }),
        ),
      lbHandler: (route) => {
        const handler = reportingLb(
          route,
          generation.lb.handlers.get(lbKey(route.resource.file, route.fn.name)),
        );
        if (!handler) throw new FlashError("INTERNAL", `no handler loaded for ${route.path}.`);
        return handler;
      },
    });

  const [lbModules] = await Promise.all([
    loadLbHandlers({ root, scan, generation: 1, sdkEntry }).then((h) => {
      phase("LB modules loaded");
      return h;
    }),
    // A QB file that does not build is fatal at start-up, as a syntax error is.
    bundles.refresh(scan).then(() => phase("QB bundles built")),
  ]).catch(async (err) => {
    setDispatcher(undefined);
    throw err;
  });
  current.lb = lbModules;
  const host = new HttpHost(buildApp(current), {
    allowedHosts: options.allowedHosts,
    requestLog: options.verbose ? options.log : undefined,
    onError: (err, req) =>
      options.warn(
        `${req.method} ${req.url} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      ),
  });
  let port: number;
  try {
    port = await host.listen(options.host, options.port);
  } catch (err) {
    setDispatcher(undefined);
    throw err;
  }
  phase("listening");
  const serverFileWritten = writeServerFile(root, scan, current.routes).catch((err) =>
    options.warn(`could not write .flash/server.ts: ${messageOf(err)}`),
  );
  const shownHost = options.host === "0.0.0.0" || options.host === "::" ? "localhost" : options.host;
  const url = `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${port}`;
  const portNote =
    options.port !== 0 && port !== options.port ? `Port ${options.port} is taken; using ${port}.` : undefined;
  if (options.startTargetAtOnce) void startTarget();

  let attempts = 1;
  // Reloads run one at a time; changes arriving meanwhile cause one more reload after it.
  let reloading: Promise<boolean> | undefined;
  let again = false;
  // Files named by change events, with their size and mtime just before the scan that read them:
  // an editor's save can land as two events (truncate, write) of which the watcher may report only
  // the first, so a file that differs after its reload is reloaded once more.
  let watched = new Map<string, string>();
  const reloadOnce = async (): Promise<boolean> => {
    const seen = new Map<string, string>();
    for (const file of watched.keys()) seen.set(file, await statKey(join(root, file)));
    watched = new Map();
    const recheck = () => {
      void (async () => {
        for (const [file, key] of seen) {
          if ((await statKey(join(root, file))) !== key) {
            changedFiles([file]);
            return;
          }
        }
      })();
    };
    const ok = await reloadScanned();
    recheck();
    return ok;
  };
  const reloadScanned = async (): Promise<boolean> => {
    let next: ScanResult;
    try {
      next = await scanOrThrow(options.scan, root);
    } catch (err) {
      options.warn(`reload: ${messageOf(err)} (still serving the last good routes)`);
      return false;
    }
    for (const w of next.warnings) options.warn(formatWarning(w));
    // A fresh folder per attempt, failed ones included: Node caches a module that threw at import
    // by URL, so reusing a failed attempt's folder would serve the same error again.
    const id = ++attempts;
    const generation: Generation = { id, scan: next, routes: devRoutesOf(next), lb: NO_LB_MODULES };
    try {
      // QB code is re-bundled alongside: a QB file that does not build keeps the last good
      // generation serving, as a syntax error does.
      [generation.lb] = await Promise.all([
        loadLbHandlers({ root, scan: next, generation: id, sdkEntry, previous: current.lb }),
        bundles.refresh(next),
      ]);
      const nextListener = buildApp(generation);
      const previous = current;
      current = generation;
      host.swap(nextListener);
      bundles.prune(next);
      await writeServerFile(root, next, generation.routes);
      const changes = routeChanges(previous.routes, generation.routes);
      options.log(
        changes.length > 0
          ? `Reloaded; routes changed:\n${changes.join("\n")}\n`
          : "Reloaded; routes unchanged (new code serves now).\n",
      );
      return true;
    } catch (err) {
      options.warn(`reload: ${messageOf(err)} (still serving the last good routes)`);
      return false;
    }
  };
  const reload = (): Promise<boolean> => {
    if (reloading) {
      again = true;
      return reloading;
    }
    reloading = (async () => {
      let ok = await reloadOnce();
      while (again) {
        again = false;
        ok = await reloadOnce();
      }
      reloading = undefined;
      return ok;
    })();
    return reloading;
  };

  function changedFiles(files: string[]): void {
    for (const file of files) watched.set(file, "");
    const removed = files.filter((file) => !existsSync(join(root, file)));
    const changed = files.filter((file) => !removed.includes(file));
    if (changed.length > 0) options.log(`Changed: ${changed.join(", ")}`);
    if (removed.length > 0) options.log(`Removed: ${removed.join(", ")}`);
    void reload();
  }
  let watcher: ProjectWatcher | undefined;
  if (options.reload) {
    watcher = await watchProject(root, changedFiles, options.debounceMs);
  }
  await serverFileWritten;
  // Printed last: once the table shows, requests are served, .flash/server.ts is current and file
  // changes are seen.
  options.log(
    startupTable({
      url,
      routes: current.routes,
      executesOn: options.executesOn,
      portNote,
      // From the process's start, as a user waits for it (node start-up included).
      readyMs: performance.now(),
    }),
  );
  let closing: Promise<string[]> | undefined;
  return {
    url,
    port,
    sessionId,
    routes: () => current.routes,
    reload,
    close: () => {
      closing ??= (async () => {
        await watcher?.close();
        // A target that failed to start has nothing to clean up (its error was reported then).
        const started = await target?.catch(() => undefined);
        const removed = started
          ? await started.close().catch((err) => {
              options.warn(`cleanup: ${messageOf(err)}`);
              return [] as string[];
            })
          : [];
        await host.close();
        await rm(devBundleDir(root), { recursive: true, force: true }).catch(() => {});
        setDispatcher(undefined);
        delete globals[REGISTER_QB_MODULE];
        return removed;
      })();
      return closing;
    },
  };
}

const NO_LB_MODULES: LoadedLbModules = { handlers: new Map(), inputs: [], key: "", signature: undefined };

/** Size and mtime of a file, or "missing". */
async function statKey(file: string): Promise<string> {
  try {
    const s = await stat(file);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return "missing";
  }
}

async function scanOrThrow(scan: (root: string) => Promise<ScanResult>, root: string): Promise<ScanResult> {
  const result = await scan(root);
  if (result.resources.length === 0) throw noFunctionsError(root);
  checkReservedRoutes(devRoutesOf(result));
  return result;
}

function messageOf(err: unknown): string {
  if (isFlashError(err)) return err.hint ? `${err.message}\n${err.hint}` : err.message;
  return err instanceof Error ? err.message : String(err);
}
