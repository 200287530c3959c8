import { existsSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { scaffoldProject } from "../../init/scaffold.ts";
import { VERSION } from "../../shared/version.ts";

/**
 * `flash init [name]`: scaffold a small working project, or add what Flash needs to an existing one
 * (never overwriting a file), saying which files it created, added to and kept.
 */
export async function initCommand(name: string | undefined): Promise<void> {
  const dir = resolve(name ?? ".");
  const existing = existsSync(join(dir, "package.json"));
  const { created, updated, kept } = await scaffoldProject(dir, basename(dir), VERSION);
  const cd = relative(process.cwd(), dir);
  const lines = [
    existing ? `Added Flash to the project in ${dir}:` : `Created a Flash project in ${dir}:`,
    ...created.map((f) => `  created  ${f}`),
    ...updated.map(
      (f) => `  updated  ${f}${f === "package.json" ? " (runpod-flash dependency, scripts it lacked)" : ""}`,
    ),
    ...kept.map((f) => `  kept     ${f} (exists)`),
    "",
    "Next:",
    ...(cd ? [`  cd ${cd}`] : []),
    "  npm install        # installs runpod-flash",
    "  npx flash run      # dev server on http://localhost:8888, Swagger UI at /docs",
    "",
  ];
  process.stdout.write(lines.join("\n"));
}
