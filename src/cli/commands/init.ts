import { basename, relative, resolve } from "node:path";
import { scaffoldProject } from "../../init/scaffold.ts";
import { VERSION } from "../../shared/version.ts";

/** `flash init [name]`: scaffold a small working project. */
export async function initCommand(name: string | undefined): Promise<void> {
  const dir = resolve(name ?? ".");
  const written = await scaffoldProject(dir, basename(dir), VERSION);
  const cd = relative(process.cwd(), dir);
  const lines = [
    `Created a Flash project in ${dir}:`,
    ...written.map((f) => `  ${f}`),
    "",
    "Next:",
    ...(cd ? [`  cd ${cd}`] : []),
    "  npm install        # installs runpod-flash (optional: flash run works without it)",
    "  npx flash run      # dev server on http://localhost:8888, Swagger UI at /docs",
    "",
  ];
  process.stdout.write(lines.join("\n"));
}
