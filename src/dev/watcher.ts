import { relative, sep } from "node:path";

const SKIPPED_DIRS = new Set(["node_modules", "dist", "build"]);
const WATCHED_FILE = /(\.(m?ts|m?js)|^\.gitignore|^\.flashignore)$/;

/** A running watcher; `close()` stops it. */
export interface ProjectWatcher {
  close(): Promise<void>;
}

/**
 * Watches the project's source files (what discovery may scan, including new files) and calls
 * `onChange` with the changed paths once changes stop for `debounceMs`. Skips what discovery skips:
 * node_modules, dist, build and dot-folders (so `.flash/` writes never trigger a reload).
 */
export async function watchProject(
  root: string,
  onChange: (files: string[]) => void,
  debounceMs = 25,
): Promise<ProjectWatcher> {
  // Loaded here, after the server is up, so start-up does not wait for it.
  const { watch } = await import("chokidar");
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const watcher = watch(root, {
    ignoreInitial: true,
    ignored: (path, stats) => {
      const rel = relative(root, path);
      if (rel === "") return false;
      const parts = rel.split(sep);
      const last = parts[parts.length - 1] as string;
      if (parts.slice(0, -1).some((p) => p.startsWith(".") || SKIPPED_DIRS.has(p))) return true;
      if (stats?.isFile()) return !WATCHED_FILE.test(last) || last.endsWith(".d.ts");
      // A folder, or a path not yet stat'ed: skip what discovery skips, keep the rest.
      if (SKIPPED_DIRS.has(last)) return true;
      if (last.startsWith(".") && !WATCHED_FILE.test(last)) return true;
      return false;
    },
  });
  watcher.on("all", (_event, path) => {
    const rel = relative(root, path);
    const name = rel.split(sep).pop() ?? "";
    if (!WATCHED_FILE.test(name)) return;
    pending.add(rel.split(sep).join("/"));
    clearTimeout(timer);
    timer = setTimeout(() => {
      const files = [...pending];
      pending = new Set();
      onChange(files);
    }, debounceMs);
  });
  // Resolve once the initial walk is done: a file created before that would count as already there.
  await new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  return {
    close: async () => {
      clearTimeout(timer);
      await watcher.close();
    },
  };
}
