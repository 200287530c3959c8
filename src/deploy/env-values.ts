import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseEnv } from "node:util";
import type { ScannedResource } from "../scan/types.ts";
import { FlashError } from "../shared/errors.ts";

/**
 * The variables deploy reads: the project's `.env` under the process environment (which wins), as
 * RunPod's other tools do. Nothing from it reaches an endpoint unless a config's `env` names it.
 */
export async function deployEnvironment(
  root: string,
  processEnv: NodeJS.ProcessEnv = process.env,
): Promise<NodeJS.ProcessEnv> {
  let text: string;
  try {
    text = await readFile(join(root, ".env"), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { ...processEnv };
    throw new FlashError("INVALID_DATA", `Cannot read ${join(root, ".env")}: ${(err as Error).message}`);
  }
  return { ...parseEnv(text), ...processEnv };
}

const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** What {@link resolveConfigEnv} does with an unset variable, and what its error tells the user to do next. */
export interface UnsetVariables {
  /** `"error"` (the default) throws; `"empty"` fills in an empty string. */
  unset: "error" | "empty";
  /** The step after setting the variable, e.g. "deploy again". */
  retry: string;
}

/**
 * A resource's `env` with every `${X}` (how discovery records `process.env.X`) replaced by X's value.
 * @throws FlashError CONFIG_INVALID naming the variable and the config's file:line when X is not set
 *   (unless `unset` is `"empty"`)
 */
export function resolveConfigEnv(
  resource: ScannedResource,
  env: NodeJS.ProcessEnv,
  { unset, retry }: UnsetVariables = { unset: "error", retry: "deploy again" },
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(resource.config.env)) {
    out[key] = value.replace(PLACEHOLDER, (_m, name: string) => {
      const v = env[name];
      if (v !== undefined) return v;
      if (unset === "empty") return "";
      const at = resource.configAt;
      throw new FlashError(
        "CONFIG_INVALID",
        `${at.file}:${at.line}: env.${key} needs ${name}, which is not set in the environment or in .env.`,
        { hint: `Set ${name} (export ${name}=... or a line in the project's .env), then ${retry}.` },
      );
    });
  }
  return out;
}
