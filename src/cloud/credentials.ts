import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { parse, stringify } from "smol-toml";
import { FlashError } from "../shared/errors.ts";
import { credentialsHint } from "./http.ts";

/**
 * Where the RunPod API key comes from: `RUNPOD_API_KEY`, else `~/.runpod/config.toml`, the file
 * RunPod's other tools share. runpodctl writes a top-level `apikey = "..."`; runpod-python (and so
 * Python Flash's `flash login`) writes `[default]` with `api_key = "..."`. Both are read, and the writer
 * sets both so every tool finds the key. Nothing here ever prints or logs the key.
 */

/** Where a key was found, for messages such as "using the key from ~/.runpod/config.toml". */
export type CredentialSource = "env" | "config";

export interface ResolvedApiKey {
  apiKey: string;
  source: CredentialSource;
  /** The config file path when `source` is "config". */
  path?: string;
}

export interface CredentialOptions {
  env?: NodeJS.ProcessEnv;
  /** Home directory holding `.runpod/config.toml`; defaults to the user's. */
  home?: string;
}

/** `~/.runpod/config.toml` (or under `home`). */
export function configPath(home: string = homedir()): string {
  return join(home, ".runpod", "config.toml");
}

/**
 * Finds the API key, or undefined when there is none.
 * @throws FlashError INVALID_DATA when the config file exists but is not valid TOML.
 */
export async function resolveApiKey(options: CredentialOptions = {}): Promise<ResolvedApiKey | undefined> {
  const env = options.env ?? process.env;
  const fromEnv = env.RUNPOD_API_KEY?.trim();
  if (fromEnv) return { apiKey: fromEnv, source: "env" };

  const path = configPath(options.home);
  const config = await readConfig(path);
  const apiKey = config === undefined ? undefined : keyFromConfig(config);
  return apiKey === undefined ? undefined : { apiKey, source: "config", path };
}

/**
 * Like {@link resolveApiKey}, but a missing key is an error explaining how to set one.
 * @throws FlashError RUNPOD_AUTH when no key is set.
 */
export async function requireApiKey(options: CredentialOptions = {}): Promise<ResolvedApiKey> {
  const resolved = await resolveApiKey(options);
  if (resolved) return resolved;
  const toEmulator = Boolean((options.env ?? process.env).RUNPOD_API_URL?.trim());
  throw new FlashError("RUNPOD_AUTH", "No RunPod API key found.", { hint: credentialsHint(toEmulator) });
}

/**
 * Stores the key in `~/.runpod/config.toml` with mode 0600 (directory 0700), keeping any other settings
 * in the file. Written to a temporary file first and renamed, so a crash never leaves half a file.
 * @returns the path written.
 */
export async function saveApiKey(apiKey: string, options: { home?: string } = {}): Promise<string> {
  const key = apiKey.trim();
  if (!key) throw new FlashError("USAGE", "The API key is empty.");
  if (/["\\\n\r]/.test(key))
    throw new FlashError("USAGE", "The API key contains characters a key cannot have.");
  const path = configPath(options.home);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const config = (await readConfig(path)) ?? {};
  config.apikey = key;
  const profile = isTable(config.default) ? config.default : {};
  profile.api_key = key;
  config.default = profile;
  const tmp = `${path}.${process.pid}.tmp`;
  // mode on create covers the new file; chmod covers an umask that strips bits on some systems.
  await writeFile(tmp, stringify(config) + "\n", { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
  return path;
}

async function readConfig(path: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new FlashError("INVALID_DATA", `Cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    return parse(text);
  } catch (err) {
    // smol-toml's message quotes the offending line, which may be the key: report the position only.
    const line = (err as { line?: unknown }).line;
    throw new FlashError(
      "INVALID_DATA",
      `${path} is not valid TOML${typeof line === "number" ? ` (line ${line})` : ""}.`,
      { hint: 'Expected a line such as apikey = "..." — fix the file or run `flash login` again.' },
    );
  }
}

function keyFromConfig(config: Record<string, unknown>): string | undefined {
  const profile = isTable(config.default) ? config.default : {};
  for (const value of [config.apikey, config.apiKey, config.api_key, profile.api_key, profile.apikey]) {
    if (typeof value === "string" && value.trim()) return value.trim();
  }
  return undefined;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}
