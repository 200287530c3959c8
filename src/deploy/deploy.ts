import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { z } from "zod";
import type { BuildResult } from "../build/build-project.ts";
import type { ControlPlane } from "../cloud/control-plane.ts";
import { manifestValue } from "../cloud/flash-builds.ts";
import { LIVE_MARKER } from "../runtime/env.ts";
import type { ScannedResource } from "../scan/types.ts";
import { FlashError } from "../shared/errors.ts";
import type { EndpointRecord, TemplateRecord } from "../shared/schemas/control-plane.ts";
import { endpointChanges, mergePlatformEnv, templateChanges } from "./compare.ts";
import { type DesiredEndpoint, desiredEndpoint } from "./endpoint-spec.ts";
import { resolveConfigEnv } from "./env-values.ts";
import { usesStartCommand, workerImage } from "./images.ts";
import { deployedEndpointName, deployedTemplateName, isDeployedByFlash } from "./names.ts";
import { START_COMMAND } from "./start-command.ts";
import { type ExampleCall, endpointUrls, exampleCall } from "./urls.ts";

/** What `flash deploy` needs besides the build. */
export interface DeployOptions {
  build: BuildResult;
  controlPlane: ControlPlane;
  /** The flash environment (`production` by default). */
  environment: string;
  /** Where `${X}` config env values and image overrides are read from (process env over `.env`). */
  env: NodeJS.ProcessEnv;
  /** The deploying key, for endpoints that call other endpoints; undefined against a keyless emulator. */
  apiKey?: string;
  /** Receives one line per step, as it happens. */
  progress: (line: string) => void;
}

/** One resource's outcome. */
export interface DeployedEndpoint {
  resourceName: string;
  endpointName: string;
  id: string;
  type: "QB" | "LB";
  urls: string[];
  /** A request that calls one of its routes (for the ready-to-paste curl). */
  example: ExampleCall;
  status: "created" | "updated" | "unchanged";
  /** Changed fields (names only) when updated. */
  changes: string[];
}

export interface DeployResult {
  appName: string;
  environment: string;
  endpoints: DeployedEndpoint[];
  /** Endpoints of this environment removed because their resource left the project. */
  removed: { name: string; id: string }[];
  /** False when the active build already had this artifact. */
  uploaded: boolean;
  /** True when nothing at all was changed on the account. */
  unchanged: boolean;
}

/**
 * A deployed endpoint must never be live: `FLASH_LIVE` would tell a worker to run code sent in a
 * job (its runtime ignores it beside FLASH_RESOURCE_NAME anyway, but a config asking for it is a
 * mistake worth stopping, not a value to drop in silence).
 * @throws FlashError CONFIG_INVALID naming the config's file:line
 */
function refuseLiveMarker(r: ScannedResource): void {
  if (!Object.hasOwn(r.config.env, LIVE_MARKER.key)) return;
  throw new FlashError(
    "CONFIG_INVALID",
    `${r.configAt.file}:${r.configAt.line}: env.${LIVE_MARKER.key} is reserved for the live endpoints of flash run, whose workers run the code each job carries; a deployed endpoint never does.`,
    { hint: `Remove ${LIVE_MARKER.key} from the config's env, then deploy again.` },
  );
}

/** The part of a build manifest deploy reads back: the artifact hash it recorded. */
const RecordedBuild = z.looseObject({ artifact_sha256: z.string() });

/**
 * Deploys a build (SPEC section 8): finds or creates the flash app (named after the project) and
 * environment, uploads the artifact unless the environment's active build already is this artifact,
 * then makes one endpoint per resource look like its config. State is read from the account, never
 * from local files: endpoints are found by name within the environment, so a deploy from another
 * machine updates in place and an interrupted deploy converges when run again. Endpoints are created
 * callees first; those whose callees did not exist yet get `FLASH_ENDPOINTS` in a second pass
 * (create-then-update), which also handles cycles. Nothing is sent when desired and actual agree.
 * @throws FlashError on a name clash with an endpoint this project did not deploy, a missing
 * `${X}` value, or any RunPod error (naming the operation)
 */
export async function deploy(o: DeployOptions): Promise<DeployResult> {
  const cp = o.controlPlane;
  const { manifest, scan } = o.build;
  const appName = manifest.project_name;
  const resources = scan.resources;
  // Everything that can fail locally fails before the first change on the account.
  for (const r of resources) refuseLiveMarker(r);
  const configEnvs = new Map(resources.map((r) => [r.resourceName, resolveConfigEnv(r, o.env)]));
  const names = new Map(
    resources.map((r) => [r.resourceName, deployedEndpointName(r.endpointName, o.environment)]),
  );
  for (const [resource, name] of names) {
    if (name.length > 64) {
      throw new FlashError(
        "CONFIG_INVALID",
        `Endpoint name ${JSON.stringify(name)} (resource ${resource}) is over RunPod's 64 characters; use a shorter config name or --env.`,
      );
    }
  }
  const fingerprints = await codeFingerprints(o.build);
  let changed = false;

  // App and environment as they are; created only after the checks below pass.
  let app = await cp.getFlashAppByName(appName);
  let environment =
    app &&
    (app.flashEnvironments?.find((e) => e.name === o.environment) ??
      (await cp.getFlashEnvironmentByName({ flashAppId: app.id, name: o.environment })));

  // What the account has, read once.
  const [allEndpoints, allTemplates] = await Promise.all([cp.listEndpoints(), cp.listTemplates()]);
  const templatesByName = new Map(allTemplates.map((t) => [t.name, t]));
  const templatesById = new Map(allTemplates.map((t) => [t.id, t]));
  const existing = new Map<string, EndpointRecord>();
  const extras: EndpointRecord[] = [];
  for (const r of resources) {
    const name = names.get(r.resourceName)!;
    const sameName = allEndpoints.filter((e) => e.name === name);
    const ours = sameName.filter((e) => environment && e.flashEnvironmentId === environment.id);
    if (ours.length === 0 && sameName.length > 0) {
      throw new FlashError(
        "RUNPOD_API",
        `An endpoint named ${name} (${sameName.map((e) => e.id).join(", ")}) already exists on the account and was not deployed by ${appName}/${o.environment}; Flash will not take it over.`,
        {
          hint: `Give ${r.file}'s config another name (name: "..."), deploy with --env, or remove that endpoint.`,
        },
      );
    }
    if (ours[0]) existing.set(r.resourceName, ours[0]);
    // Same name twice in our environment (two deploys racing): keep one, remove the rest.
    extras.push(...ours.slice(1));
  }

  if (!app) {
    const created = await cp.createFlashApp(appName);
    o.progress(`Created flash app ${appName}`);
    app = { id: created.id, name: created.name, flashEnvironments: [] };
    changed = true;
  }
  if (!environment) {
    const created = await cp.createFlashEnvironment({ flashAppId: app.id, name: o.environment });
    o.progress(`Created environment ${o.environment}`);
    environment = { id: created.id, name: created.name };
    changed = true;
  }
  const envId = environment.id;

  // The artifact: uploaded and activated unless the environment already runs it.
  let uploaded = false;
  const activeBuild = environment.activeBuildId
    ? await cp.getFlashBuild(environment.activeBuildId)
    : undefined;
  const recorded = RecordedBuild.safeParse(manifestValue(activeBuild?.manifest));
  if (recorded.success && recorded.data.artifact_sha256 === o.build.artifact.sha256) {
    o.progress(`Build unchanged (${o.build.artifact.sha256.slice(0, 12)})`);
  } else {
    o.progress(`Uploading the build artifact (${Math.ceil(o.build.artifact.bytes / 1024)} kB)...`);
    const bytes = await readFile(o.build.artifact.path);
    const build = await cp.uploadBuild({
      flashAppId: app.id,
      artifact: bytes,
      manifest: { ...manifest, artifact_sha256: o.build.artifact.sha256 },
    });
    await cp.deployBuildToEnvironment({ flashEnvironmentId: envId, flashBuildId: build.id });
    o.progress(`Activated build ${build.id} in ${o.environment}`);
    uploaded = true;
    changed = true;
  }

  // Network volumes, found by name and data center, created when missing.
  const volumes = new Map<string, { id: string; dataCenterId: string }>();
  for (const r of resources) {
    const v = r.config.networkVolume;
    if (!v) continue;
    const key = `${v.name}\0${v.dataCenter}`;
    if (volumes.has(key)) continue;
    let found = await cp.findNetworkVolume({ name: v.name, dataCenterId: v.dataCenter });
    if (!found) {
      found = await cp.createNetworkVolume({ name: v.name, size: v.size, dataCenterId: v.dataCenter });
      o.progress(`Created network volume ${v.name} (${v.size} GB in ${v.dataCenter})`);
      changed = true;
    }
    volumes.set(key, { id: found.id, dataCenterId: found.dataCenterId ?? v.dataCenter });
  }

  const ids = new Map<string, string>();
  for (const [resource, e] of existing) ids.set(resource, e.id);
  const spec = (r: ScannedResource): DesiredEndpoint => {
    const v = r.config.networkVolume;
    return desiredEndpoint(r, {
      endpointName: names.get(r.resourceName)!,
      image: workerImage(r.resourceType, r.config.imageName, o.env),
      dockerArgs: usesStartCommand(r.resourceType, r.config.imageName) ? START_COMMAND : "",
      configEnv: configEnvs.get(r.resourceName)!,
      flashEnvironmentId: envId,
      networkVolume: v ? volumes.get(`${v.name}\0${v.dataCenter}`) : undefined,
      codeFingerprint: fingerprints.get(r.resourceName)!,
      endpointIds: ids,
      apiKey: o.apiKey,
    });
  };

  // Templates: ours by name, saved when missing or different (env kept as the platform set it).
  const fullTemplate = async (id: string): Promise<TemplateRecord | undefined> => {
    const listed = templatesById.get(id);
    return listed?.env ? listed : ((await cp.getTemplate(id)) ?? listed);
  };
  const syncTemplate = async (
    desired: DesiredEndpoint,
    actual: TemplateRecord | undefined,
  ): Promise<{ template: TemplateRecord; changes: string[] }> => {
    if (!actual) return { template: await cp.saveTemplate(desired.template), changes: [] };
    const changes = templateChanges(desired.template, actual);
    if (changes.length === 0) return { template: actual, changes };
    const template = await cp.saveTemplate({
      ...desired.template,
      id: actual.id,
      env: mergePlatformEnv(desired.template.env, actual.env),
    });
    return { template, changes };
  };
  const ourTemplate = async (desired: DesiredEndpoint) => {
    const byName = templatesByName.get(desired.template.name);
    return syncTemplate(desired, byName ? await fullTemplate(byName.id) : undefined);
  };

  // Create phase: missing endpoints, callees first, with the ids known so far. Creations run in
  // parallel (a few at a time), each after the callees ordered before it; a callee ordered after
  // it is in a cycle with it, and its id arrives in the update phase.
  const results = new Map<string, DeployedEndpoint>();
  const actualTemplates = new Map<string, TemplateRecord>();
  const order = calleesFirst(resources);
  const position = new Map(order.map((r, i) => [r.resourceName, i]));
  const slots = limiter(PARALLEL_CALLS);
  const creations = new Map<string, Promise<void>>();
  for (const r of order) {
    if (existing.has(r.resourceName)) continue;
    const before = r.calls
      .filter((c) => (position.get(c) ?? Number.POSITIVE_INFINITY) < position.get(r.resourceName)!)
      .map((c) => creations.get(c))
      .filter((p): p is Promise<void> => p !== undefined);
    creations.set(
      r.resourceName,
      Promise.all(before).then(() =>
        slots(async () => {
          const desired = spec(r);
          const { template } = await ourTemplate(desired);
          const created = await cp.saveEndpoint({ ...desired.endpoint, templateId: template.id });
          o.progress(`Created endpoint ${created.name} (${created.id})`);
          ids.set(r.resourceName, created.id);
          existing.set(r.resourceName, created);
          actualTemplates.set(r.resourceName, template);
          results.set(r.resourceName, result(r, created, "created", []));
          changed = true;
        }),
      ),
    );
  }
  await settle([...creations.values()]);

  // Update phase: every endpoint against its full desired state (all ids now known).
  await settle(
    resources.map((r) =>
      slots(async () => {
        const actual = existing.get(r.resourceName)!;
        const desired = spec(r);
        const current =
          actualTemplates.get(r.resourceName) ??
          (actual.templateId ? await fullTemplate(actual.templateId) : undefined);
        // An endpoint running some other template is moved to ours (its templateId change shows below).
        const { template, changes: tChanges } =
          current && current.name === desired.template.name
            ? await syncTemplate(desired, current)
            : await ourTemplate(desired);
        const endpoint = { ...desired.endpoint, templateId: template.id };
        const eChanges = endpointChanges(endpoint, actual);
        const saved = eChanges.length > 0 ? await cp.saveEndpoint({ ...endpoint, id: actual.id }) : actual;
        const fields = [...tChanges, ...eChanges];
        const prior = results.get(r.resourceName);
        if (fields.length > 0) {
          o.progress(`Updated endpoint ${saved.name} (${saved.id}): ${fields.join(", ")}`);
          changed = true;
        }
        results.set(
          r.resourceName,
          prior ?? result(r, saved, fields.length > 0 ? "updated" : "unchanged", fields),
        );
      }),
    ),
  );

  // Endpoints deploy made in this environment whose resource left the project: their code is no
  // longer in the active build, so they could only fail. Removed, with their template.
  const wanted = new Set(names.values());
  const ownedByFlash = (e: EndpointRecord) => isDeployedByFlash(e, (id) => templatesById.get(id)?.name);
  const stale = [
    ...allEndpoints.filter((e) => e.flashEnvironmentId === envId && !wanted.has(e.name) && ownedByFlash(e)),
    ...extras,
  ];
  const removed: { name: string; id: string }[] = [];
  for (const e of stale) {
    await cp.deleteEndpoint(e.id);
    removed.push({ name: e.name, id: e.id });
    o.progress(`Removed endpoint ${e.name} (${e.id}): no longer in the project`);
    changed = true;
    if (!wanted.has(e.name)) await cp.deleteTemplate(deployedTemplateName(e.name)).catch(() => {});
  }

  const endpoints = resources.map((r) => results.get(r.resourceName)!);
  return { appName, environment: o.environment, endpoints, removed, uploaded, unchanged: !changed };

  function result(
    r: ScannedResource,
    e: EndpointRecord,
    status: DeployedEndpoint["status"],
    changes: string[],
  ): DeployedEndpoint {
    const routes = r.isLoadBalanced ? r.functions.map((f) => f.path ?? "/") : undefined;
    return {
      resourceName: r.resourceName,
      endpointName: e.name,
      id: e.id,
      type: r.isLoadBalanced ? "LB" : "QB",
      urls: endpointUrls(cp.urls, e.id, routes),
      example: exampleCall(cp.urls, e.id, r),
      status,
      changes,
    };
  }
}

/** How many control-plane calls a deploy has in flight at once. */
const PARALLEL_CALLS = 8;

/** Runs tasks with at most `limit` at once. */
function limiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    // A finishing task hands its slot straight to the next waiting one.
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}

/** Waits for every promise, then throws the first failure: nothing is left running behind an error. */
async function settle(promises: Promise<unknown>[]): Promise<void> {
  const outcomes = await Promise.allSettled(promises);
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
  if (failed) throw failed.reason;
}

/** Resources ordered so that each comes after the QB resources it calls (cycles broken anywhere). */
export function calleesFirst(resources: readonly ScannedResource[]): ScannedResource[] {
  const byName = new Map(resources.map((r) => [r.resourceName, r]));
  const out: ScannedResource[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (r: ScannedResource) => {
    if (state.has(r.resourceName)) return;
    state.set(r.resourceName, "visiting");
    for (const name of r.calls) {
      const callee = byName.get(name);
      if (callee) visit(callee);
    }
    state.set(r.resourceName, "done");
    out.push(r);
  };
  for (const r of resources) visit(r);
  return out;
}

/** Per resource, a short hash of its bundle and what it installs: changes exactly when its code does. */
async function codeFingerprints(build: BuildResult): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const b of build.bundles) {
    const hash = createHash("sha256").update(await readFile(b.file));
    hash.update(`\0${b.dependencies.join("\0")}`);
    out.set(b.resourceName, hash.digest("hex").slice(0, 16));
  }
  return out;
}
