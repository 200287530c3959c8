import { existsSync } from "node:fs";
import { basename, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import { connectControlPlane } from "../../cloud/control-plane.ts";
import { deployEnvironment } from "../../deploy/env-values.ts";
import { checkEnvironmentName, DEFAULT_ENVIRONMENT } from "../../deploy/names.ts";
import type { UndeployPlan } from "../../deploy/undeploy.ts";
import { FlashError } from "../../shared/errors.ts";
import { debugLogger } from "./deploy.ts";

/**
 * `flash undeploy [dir] [--env NAME] [--live] [--yes]`: removes what `flash deploy` created for the
 * environment (or, with `--live`, the live endpoints of `flash run` sessions that died without
 * cleaning up), after a confirmation unless `--yes` or stdin is not a terminal.
 */
export async function undeployCommand(
  dir: string,
  opts: { env?: string; live?: boolean; yes?: boolean },
): Promise<void> {
  const root = resolve(dir);
  if (!existsSync(root)) throw new FlashError("USAGE", `no such folder: ${dir}`);
  const environment = checkEnvironmentName(opts.env ?? DEFAULT_ENVIRONMENT);
  const env = await deployEnvironment(root);
  const controlPlane = await connectControlPlane({ env, http: { onEvent: debugLogger() } });
  const { planUndeploy, planLiveUndeploy } = await import("../../deploy/undeploy.ts");
  const appName = basename(root);
  const plan: UndeployPlan = opts.live
    ? await planLiveUndeploy({ controlPlane, root })
    : await planUndeploy({ controlPlane, appName, environment });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  for (const note of plan.notes) out(note);
  const what = opts.live
    ? "live endpoints left by stopped `flash run` sessions"
    : `${appName}/${environment}`;
  if (plan.endpoints.length === 0 && opts.live) {
    out(`Nothing to remove: no ${what}.`);
    return;
  }
  if (plan.endpoints.length === 0 && plan.notes.length > 0) return;
  const also = opts.live ? "" : " (and the environment; network volumes are kept)";
  out(
    `This removes ${plan.endpoints.length} endpoint${plan.endpoints.length === 1 ? "" : "s"} of ${what}${also}:`,
  );
  for (const e of plan.endpoints) out(`  ${e.name}  (${e.id})`);
  if (!opts.yes && process.stdin.isTTY) {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question("Continue? [y/N] ");
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) {
      out("Nothing removed.");
      return;
    }
  }
  for (const line of await plan.apply()) out(line);
}
