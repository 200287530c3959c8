import type { ControlPlane } from "../cloud/control-plane.ts";
import {
  isProcessAlive,
  type LiveSessionEntry,
  readLiveSessions,
  updateLiveSessions,
} from "../dev/live-session.ts";
import { deployedTemplateName, isDeployedByFlash } from "./names.ts";

/** What an undeploy would remove, shown before asking. */
export interface UndeployPlan {
  /** Endpoints to delete (id, name). */
  endpoints: { id: string; name: string }[];
  /** Human-readable lines about what is kept or skipped. */
  notes: string[];
  /** Runs the removal; returns one line per thing removed or not removable. */
  apply(): Promise<string[]>;
}

/**
 * Plans removing what `flash deploy` created for an app's environment, and nothing else: the
 * endpoints of that flash environment that run the template deploy named for them (another tool's
 * endpoints in the same environment are kept), those templates, then the environment itself unless
 * something else still lives in it, and the app once it has no environment left. Network volumes are
 * kept: they hold data.
 */
export async function planUndeploy(o: {
  controlPlane: ControlPlane;
  appName: string;
  environment: string;
}): Promise<UndeployPlan> {
  const cp = o.controlPlane;
  const notes: string[] = [];
  const app = await cp.getFlashAppByName(o.appName);
  const environment =
    app &&
    (app.flashEnvironments?.find((e) => e.name === o.environment) ??
      (await cp.getFlashEnvironmentByName({ flashAppId: app.id, name: o.environment })));
  if (!app || !environment) {
    notes.push(`Nothing deployed: no environment ${o.environment} in app ${o.appName} on this account.`);
    return { endpoints: [], notes, apply: async () => [] };
  }
  const [all, templates] = await Promise.all([cp.listEndpoints(), cp.listTemplates()]);
  const templateName = new Map(templates.map((t) => [t.id, t.name]));
  const inEnvironment = all.filter((e) => e.flashEnvironmentId === environment.id);
  const endpoints = inEnvironment
    .filter((e) => isDeployedByFlash(e, (id) => templateName.get(id)))
    .map((e) => ({ id: e.id, name: e.name }));
  const foreign = inEnvironment.filter((e) => !endpoints.some((own) => own.id === e.id));
  for (const e of foreign) {
    notes.push(`Keeping ${e.name} (${e.id}): it is in ${o.environment} but was not created by flash deploy.`);
  }
  const otherEnvironments = (app.flashEnvironments ?? []).filter((e) => e.id !== environment.id);
  return {
    endpoints,
    notes,
    async apply() {
      const lines: string[] = [];
      for (const e of endpoints) {
        await cp.deleteEndpoint(e.id);
        lines.push(`Removed endpoint ${e.name} (${e.id})`);
        try {
          await cp.deleteTemplate(deployedTemplateName(e.name));
        } catch (err) {
          // RunPod refuses for a while after the endpoint's last use; an unused template costs nothing.
          if (!/not found/i.test((err as Error).message)) {
            lines.push(`Kept template ${deployedTemplateName(e.name)} for now: ${(err as Error).message}`);
          }
        }
      }
      // The environment goes only when nothing else lives in it.
      if (foreign.length > 0) return lines;
      await cp.deleteFlashEnvironment(environment.id);
      lines.push(`Removed environment ${o.environment} of app ${o.appName}`);
      if (otherEnvironments.length === 0) {
        await cp.deleteFlashApp(app.id);
        lines.push(`Removed flash app ${o.appName} (it had no other environment)`);
      }
      return lines;
    },
  };
}

/**
 * Plans removing the live endpoints (`live-<name>-<session>`) that `flash run` sessions of this
 * project recorded in `.flash/live-session.json` and could not remove themselves (their process is
 * gone), on the account `controlPlane` targets. Running sessions are left alone (they remove their
 * own on exit); an endpoint is deleted only if it still exists under the recorded name.
 */
export async function planLiveUndeploy(o: {
  controlPlane: ControlPlane;
  root: string;
}): Promise<UndeployPlan> {
  const cp = o.controlPlane;
  const notes: string[] = [];
  const sessions = await readLiveSessions(o.root, (m) => notes.push(m));
  const graphqlUrl = cp.urls.graphql;
  const dead: LiveSessionEntry[] = [];
  for (const s of sessions) {
    if (s.graphqlUrl !== graphqlUrl) continue;
    if (isProcessAlive(s.pid)) {
      notes.push(
        `Session ${s.sessionId} (pid ${s.pid}) is still running; it removes its endpoints when it stops.`,
      );
    } else dead.push(s);
  }
  const recorded = dead.flatMap((s) => s.endpoints);
  const onAccount = recorded.length > 0 ? await cp.listEndpoints() : [];
  const endpoints = recorded.filter((r) => onAccount.some((e) => e.id === r.id && e.name === r.name));
  const done = new Set(dead.map((s) => s.sessionId));
  return {
    endpoints,
    notes,
    async apply() {
      const lines: string[] = [];
      for (const e of endpoints) {
        await cp.deleteEndpoint(e.id);
        await cp.deleteTemplate(e.name).catch(() => {}); // live endpoints' inline template has their name
        lines.push(`Removed live endpoint ${e.name} (${e.id})`);
      }
      // The sessions' live environments (live-runtime.ts) go after their endpoints; the runtime
      // build stays in the app for the next session.
      for (const s of dead) {
        if (!s.environment) continue;
        if (!(await cp.getFlashEnvironment(s.environment.id))) continue;
        await cp.deleteFlashEnvironment(s.environment.id);
        lines.push(`Removed live environment ${s.environment.name} (${s.environment.id})`);
      }
      if (done.size > 0)
        await updateLiveSessions(o.root, (list) => list.filter((s) => !done.has(s.sessionId)));
      return lines;
    },
  };
}
