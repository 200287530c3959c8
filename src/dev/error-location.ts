import { relative } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * `file:line:col` of the first stack frame inside the project (source-mapped, so it names the
 * user's `.ts` file), or undefined when no frame is. Used to point at the line a module threw from
 * at import time.
 */
export function projectFrameOf(err: unknown, root: string): string | undefined {
  const stack = err instanceof Error ? err.stack : undefined;
  if (!stack) return undefined;
  for (const match of stack.matchAll(/\(?((?:file:\/\/)?\/[^():\s]+):(\d+):(\d+)\)?/g)) {
    const raw = match[1] as string;
    const file = raw.startsWith("file://") ? fileURLToPath(raw) : raw;
    const rel = relative(root, file);
    if (rel.startsWith("..") || rel.startsWith(".flash/") || rel.includes("node_modules/")) continue;
    return `${rel}:${match[2]}:${match[3]}`;
  }
  return undefined;
}
