import { copyFileSync, existsSync, linkSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { execPath } from "node:process";

/**
 * A worker's stand-in for its container: a fresh folder holding the build artifact where RunPod
 * puts it, and the environment the start command sees. The emulator runs no containers, so this is
 * as close as a process gets: nothing of the CLI's is reachable from it (no node_modules above the
 * folder, no NODE_PATH, a HOME of its own), and its PATH holds the image's tools only, with `node`
 * only when the image has Node.
 *
 *     <workDir>/workers/<worker id>/
 *     ├── root/.runpod/artifact.tar.gz   the endpoint's artifact (FLASH_BUILD_ARTIFACT_PATH)
 *     ├── root/                          HOME
 *     ├── app/                           where the start command unpacks it (FLASH_APP_DIR)
 *     └── tmp/                           TMPDIR
 */
export interface WorkerFolder {
  dir: string;
  /** What the container's environment adds to RunPod's variables and the endpoint's env. */
  env: Record<string, string>;
  /** The path of a command as the container's PATH finds it (unchanged when not found). */
  resolve(command: string): string;
  /** Deletes the folder (once the worker has exited). */
  remove(): void;
}

/** The base tools of every image a start command may call (a Debian or Ubuntu image has them all). */
const IMAGE_TOOLS = [
  "sh",
  "bash",
  "tar",
  "gzip",
  "mkdir",
  "rm",
  "mv",
  "cp",
  "ln",
  "sleep",
  "cat",
  "ls",
  "env",
  "dirname",
  "basename",
  "chmod",
  "uname",
  "id",
  "head",
  "tail",
  "grep",
  "sed",
  "true",
  "false",
];

export function prepareWorkerFolder(
  workDir: string,
  workerId: string,
  o: { artifact: string | undefined; hasNode: boolean },
): WorkerFolder {
  const dir = join(workDir, "workers", workerId);
  const home = join(dir, "root");
  mkdirSync(join(home, ".runpod"), { recursive: true });
  mkdirSync(join(dir, "tmp"), { recursive: true });
  const artifactPath = join(home, ".runpod", "artifact.tar.gz");
  if (o.artifact && existsSync(o.artifact)) placeFile(o.artifact, artifactPath);
  const bin = imageBin(workDir, o.hasNode);
  const env: Record<string, string> = {
    PATH: bin,
    HOME: home,
    TMPDIR: join(dir, "tmp"),
    FLASH_BUILD_ARTIFACT_PATH: artifactPath,
    FLASH_APP_DIR: join(dir, "app"),
  };
  // An artifact carries a linux-x64 Node; elsewhere the host's Node stands in for it.
  if (process.platform !== "linux" || process.arch !== "x64") env.FLASH_NODE = execPath;
  return {
    dir,
    env,
    resolve: (command) => {
      if (command.includes("/")) return command;
      const candidate = join(bin, command);
      return existsSync(candidate) ? candidate : command;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A hard link where the file system allows one (no copy of a large artifact), else a copy. */
function placeFile(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

/** The image's PATH: one folder of links to the host's base tools, plus Node and npm if the image has them. */
function imageBin(workDir: string, hasNode: boolean): string {
  const bin = join(workDir, "images", hasNode ? "node" : "no-node", "bin");
  if (existsSync(join(bin, ".ready"))) return bin;
  mkdirSync(bin, { recursive: true });
  const hostPath = (process.env.PATH ?? "/usr/bin:/bin").split(delimiter);
  const tools = hasNode ? [...IMAGE_TOOLS, "npm", "npx"] : IMAGE_TOOLS;
  for (const tool of tools) {
    const found = [dirname(execPath), ...hostPath].map((d) => join(d, tool)).find((f) => existsSync(f));
    if (found) link(found, join(bin, tool));
  }
  if (hasNode) link(execPath, join(bin, "node"));
  writeFileSync(join(bin, ".ready"), "");
  return bin;
}

function link(target: string, path: string): void {
  try {
    symlinkSync(target, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
}
