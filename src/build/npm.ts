import { execFile } from "node:child_process";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { delimiter, dirname, isAbsolute, join } from "node:path";
import { promisify } from "node:util";
import { z } from "zod";

const run = promisify(execFile);

/** The npm command used when the caller names none. */
export const DEFAULT_NPM = process.platform === "win32" ? "npm.cmd" : "npm";

/**
 * The environment npm gets at build time: enough to find itself, its cache, its config and the
 * network (proxies, CA files), and nothing else of the CLI's (no API key, no project variables).
 * `npm_config_local_prefix` is dropped because `npm run`/`npx` set it to the user's project, which
 * would make npm install there instead of in our private folder.
 */
export function npmEnv(): NodeJS.ProcessEnv {
  const keep =
    /^(PATH|PATHEXT|HOME|USERPROFILE|APPDATA|LOCALAPPDATA|SYSTEMROOT|COMSPEC|TEMP|TMP|TMPDIR|XDG_CACHE_HOME|XDG_CONFIG_HOME|NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|(HTTPS?|ALL|NO)_PROXY|npm_config_.*)$/i;
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && keep.test(k) && k.toLowerCase() !== "npm_config_local_prefix") env[k] = v;
  }
  return env;
}

/** Runs `npm args` in `cwd`; on failure returns the tail of what npm said, for the user's error. */
export async function runNpm(
  npm: string,
  args: string[],
  cwd: string,
): Promise<{ ok: true; stdout: string } | { ok: false; output: string }> {
  try {
    const { stdout } = await run(npm, args, {
      cwd,
      env: npmEnv(),
      timeout: 300_000,
      maxBuffer: 32 * 1024 * 1024,
      // Windows runs npm.cmd only through a shell; every argument Flash passes is shell-safe.
      shell: process.platform === "win32" && /\.(cmd|bat)$/i.test(npm),
    });
    return { ok: true, stdout };
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    const output = (e.stderr?.trim() || e.stdout?.trim() || e.message).trim();
    return { ok: false, output: output.slice(-1500) };
  }
}

const NpmPackageJson = z.looseObject({ name: z.literal("npm"), version: z.string() });

const versions = new Map<string, Promise<string>>();

/**
 * The version of the npm that `npm` names. Read from npm's own package.json next to the resolved
 * command, so a cached build never has to start npm (it must work offline and fast); started with
 * `--version` only when the command is not laid out like an npm installation.
 */
export function npmVersion(npm: string): Promise<string> {
  let p = versions.get(npm);
  if (!p) {
    p = (async () => {
      const found = versionBeside(npm);
      if (found) return found;
      const r = await runNpm(npm, ["--version"], process.cwd());
      if (!r.ok) throw new Error(`${npm} --version failed: ${r.output}`);
      return r.stdout.trim();
    })();
    p.catch(() => versions.delete(npm));
    versions.set(npm, p);
  }
  return p;
}

function versionBeside(npm: string): string | undefined {
  const command = resolveCommand(npm);
  if (!command) return undefined;
  let file: string;
  try {
    file = realpathSync(command);
  } catch {
    return undefined;
  }
  // Unix: <prefix>/lib/node_modules/npm/bin/npm-cli.js; Windows: npm.cmd beside node_modules/npm.
  const candidates = [join(dirname(command), "node_modules", "npm", "package.json")];
  for (let dir = dirname(file), i = 0; i < 3; i++, dir = dirname(dir))
    candidates.push(join(dir, "package.json"));
  for (const candidate of candidates) {
    try {
      const parsed = NpmPackageJson.safeParse(JSON.parse(readFileSync(candidate, "utf8")));
      if (parsed.success) return parsed.data.version;
    } catch {
      // not there or not JSON: try the next place
    }
  }
  return undefined;
}

function resolveCommand(npm: string): string | undefined {
  if (isAbsolute(npm) || npm.includes("/") || npm.includes("\\")) return existsSync(npm) ? npm : undefined;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, npm))) return join(dir, npm);
  }
  return undefined;
}
