// Emits the SDK's type declarations to dist/types (run by `prepack`), with import specifiers
// rewritten from .ts to .js so any consumer's TypeScript resolves them.
import { execFileSync } from "node:child_process";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.types.json"], {
  cwd: root,
  stdio: "inherit",
});
const dir = join(root, "dist/types");
for (const rel of await readdir(dir, { recursive: true })) {
  if (!rel.endsWith(".d.ts")) continue;
  const path = join(dir, rel);
  const text = await readFile(path, "utf8");
  await writeFile(path, text.replace(/(from\s+["']\.{1,2}\/[^"']+)\.ts(["'])/g, "$1.js$2"));
}
