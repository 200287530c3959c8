import { projectFrameOfStack } from "./failure-report.ts";

/**
 * `file:line:col` of the first stack frame inside the project (source-mapped, so it names the
 * user's `.ts` file), or undefined when no frame is. Used to point at the line a module threw from
 * at import time.
 */
export function projectFrameOf(err: unknown, root: string): string | undefined {
  const stack = err instanceof Error ? err.stack : undefined;
  const at = stack ? projectFrameOfStack(stack, root) : undefined;
  return at ? `${at.file}:${at.line}:${at.column}` : undefined;
}
