import { homedir } from "node:os";
import { join } from "node:path";

/**
 * Where the CLI keeps what it fetches once per machine (npm installs for linux x64, the Node that
 * artifacts carry): `FLASH_CACHE_DIR`, else `$XDG_CACHE_HOME/runpod-flash`, else `~/.cache/runpod-flash`.
 */
export function flashCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FLASH_CACHE_DIR) return env.FLASH_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "runpod-flash");
}
