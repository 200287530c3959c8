import { createHash } from "node:crypto";
import type { ControlPlane } from "../cloud/control-plane.ts";
import { callEndpoint } from "../cloud/queue-call.ts";
import type { QueueClient } from "../cloud/queue-client.ts";
import { deployEnvironment } from "../deploy/env-values.ts";
import { carriesNode, usesStartCommand, workerImage } from "../deploy/images.ts";
import type { ScannedResource } from "../scan/types.ts";
import type { CallOptions } from "../sdk/remote.ts";
import { flashCacheDir } from "../shared/cache-dir.ts";
import { isProcessAlive } from "../shared/process-alive.ts";
import type { EndpointInput } from "../shared/schemas/control-plane.ts";
import { type ExecutionTarget, liveJobInput, type QbJob, type QueueEndpoint } from "./execution.ts";
import { liveEndpointInput } from "./live-endpoint.ts";
import { createLiveEnvironment, type LiveEnvironment } from "./live-runtime.ts";
import {
  type LiveEndpointEntry,
  type LiveSessionEntry,
  readLiveSessions,
  updateLiveSessions,
} from "./live-session.ts";

interface Provisioned {
  /** Hash of the endpoint input, to update the endpoint when the config changes on reload. */
  inputHash: string;
  endpoint: Promise<LiveEndpointEntry>;
}

/**
 * Runs QB calls as live jobs (SPEC section 5) on endpoints this session provisions on first use,
 * named `live-<name>-<session id>`, on RunPod or on an emulator (the embedded one under `--local`).
 * The session's endpoints are recorded in `.flash/live-session.json` as they are created, so a
 * session killed hard has its orphans removed by the next one.
 */
export class LiveTarget implements ExecutionTarget {
  private readonly provisioned = new Map<string, Provisioned>();
  private readonly created: LiveEndpointEntry[] = [];
  private readonly inputs = new WeakMap<ScannedResource, { input: EndpointInput; inputHash: string }>();
  /**
   * What a config's `process.env.X` reads: the project's `.env` under the process environment, as
   * deploy reads it; read again after a call it could not serve.
   */
  private environment: Promise<NodeJS.ProcessEnv> | undefined;
  /**
   * This session's flash environment `live-<session>`, holding the runtime-only build its endpoints'
   * workers unpack (live-runtime.ts); made on first need, never under the embedded emulator (its
   * workers run this CLI's runtime directly).
   */
  private liveEnv: { carriesNode: boolean; env: Promise<LiveEnvironment> } | undefined;
  private liveEnvCreated: LiveEnvironment | undefined;

  constructor(
    readonly executesOn: string,
    private readonly options: {
      root: string;
      sessionId: string;
      controlPlane: ControlPlane;
      queue: QueueClient;
      /** True for the emulator embedded in this process. */
      embedded: boolean;
      log(line: string): void;
      /** Stops what the target runs besides endpoints (the embedded emulator). */
      onClose?: () => Promise<void>;
      /** The process environment (default `process.env`). */
      env?: NodeJS.ProcessEnv;
      /** The flash app live environments go in: the project's, as `flash deploy` names it. */
      appName?: string;
      /** The current scan's resources, to tell whether the runtime build must carry Node. */
      resources?: () => readonly ScannedResource[];
    },
  ) {}

  /**
   * Removes the endpoints of earlier sessions of this project that died without cleaning up (their
   * process is gone) on the same account, and records this session.
   */
  async start(): Promise<void> {
    const { root, controlPlane } = this.options;
    const graphqlUrl = controlPlane.urls.graphql;
    const sessions = await readLiveSessions(root, (m) => this.options.log(m));
    const orphans = sessions.filter((s) => !isProcessAlive(s.pid));
    for (const orphan of orphans) {
      if (orphan.embedded || orphan.graphqlUrl !== graphqlUrl) continue;
      for (const endpoint of orphan.endpoints) {
        try {
          await this.removeEndpoint(endpoint);
          this.options.log(`Removed live endpoint ${endpoint.name} left by session ${orphan.sessionId}.`);
        } catch (err) {
          this.options.log(
            `Could not remove orphaned live endpoint ${endpoint.name}: ${(err as Error).message}`,
          );
        }
      }
    }
    for (const orphan of orphans) {
      if (orphan.embedded || orphan.graphqlUrl !== graphqlUrl || !orphan.environment) continue;
      try {
        await controlPlane.deleteFlashEnvironment(orphan.environment.id);
        this.options.log(
          `Removed live environment ${orphan.environment.name} left by session ${orphan.sessionId}.`,
        );
      } catch (err) {
        if (await controlPlane.getFlashEnvironment(orphan.environment.id).catch(() => "unknown")) {
          this.options.log(
            `Could not remove orphaned live environment ${orphan.environment.name}: ${(err as Error).message}`,
          );
        }
      }
    }
    const gone = new Set(
      orphans.filter((o) => o.embedded || o.graphqlUrl === graphqlUrl).map((o) => o.sessionId),
    );
    await updateLiveSessions(root, (list) => [
      ...list.filter((s) => !gone.has(s.sessionId)),
      this.sessionEntry(),
    ]);
  }

  async run(job: QbJob, call: CallOptions | undefined): Promise<unknown> {
    const endpoint = await this.endpointFor(job.resource);
    const input = liveJobInput({ ...job, file: job.resource.file });
    return callEndpoint(this.options.queue, endpoint.id, input, {
      timeoutMs: call?.timeoutMs,
      signal: call?.signal,
      label: endpoint.name,
    });
  }

  async endpoint(resource: ScannedResource): Promise<QueueEndpoint> {
    const { id } = await this.endpointFor(resource);
    const queue = this.options.queue;
    return { endpointId: id, send: (request) => queue.forward(id, request) };
  }

  /** The resource's live endpoint: created on first use, updated when its config changed. */
  private async endpointFor(resource: ScannedResource): Promise<LiveEndpointEntry> {
    // A scan's resource objects never change, so the input is computed once per scan, not per call.
    let wanted = this.inputs.get(resource);
    if (!wanted) {
      this.environment ??= deployEnvironment(this.options.root, this.options.env);
      let input: EndpointInput;
      try {
        input = liveEndpointInput(resource, this.options.sessionId, await this.environment, {
          // Local workers run on this machine: a variable only the cloud needs must not stop them.
          unset: this.options.embedded ? "empty" : "error",
          retry: "call again",
        });
      } catch (err) {
        // The fix is a line in .env (or an unreadable .env made readable): read it again next call.
        this.environment = undefined;
        throw err;
      }
      wanted = { input, inputHash: createHash("sha256").update(JSON.stringify(input)).digest("hex") };
      this.inputs.set(resource, wanted);
    }
    const { inputHash } = wanted;
    const known = this.provisioned.get(resource.resourceName);
    if (known && known.inputHash === inputHash) return known.endpoint;
    const endpoint = (async () => {
      const input = { ...wanted.input };
      if (!this.options.embedded) input.flashEnvironmentId = (await this.liveEnvironment(resource)).id;
      const previous = known ? await known.endpoint.catch(() => undefined) : undefined;
      if (previous) {
        const saved = await this.options.controlPlane.saveEndpoint({ ...input, id: previous.id });
        return { id: saved.id, name: saved.name };
      }
      // An earlier attempt that failed after creating the endpoint (its record could not be
      // written) left it in `created`: it is updated, not created twice under one name.
      const earlier = this.created.find((e) => e.name === input.name);
      const entry = earlier
        ? await this.options.controlPlane
            .saveEndpoint({ ...input, id: earlier.id })
            .then((saved) => ({ id: saved.id, name: saved.name }))
        : await this.createEndpoint(input);
      if (!this.created.some((e) => e.id === entry.id)) this.created.push(entry);
      await updateLiveSessions(this.options.root, (list) => [
        ...list.filter((s) => s.sessionId !== this.options.sessionId),
        this.sessionEntry(),
      ]);
      if (!earlier) this.options.log(`Provisioned ${this.kind} endpoint ${entry.name} (${entry.id}).`);
      return entry;
    })();
    // A failed provisioning is retried by the next call.
    endpoint.catch(() => {
      if (this.provisioned.get(resource.resourceName)?.endpoint === endpoint) {
        this.provisioned.delete(resource.resourceName);
      }
    });
    this.provisioned.set(resource.resourceName, { inputHash, endpoint });
    return endpoint;
  }

  /**
   * Creates a live endpoint. The name is this session's own (`live-<name>-<session id>`), so an
   * endpoint or template already under it was left by an earlier attempt of this session (an answer
   * lost on the way, a failure between template and endpoint): the endpoint is taken over, a
   * template alone is removed and the creation tried again, so a failure never blocks a retry.
   */
  private async createEndpoint(input: EndpointInput): Promise<LiveEndpointEntry> {
    const cp = this.options.controlPlane;
    try {
      const saved = await cp.saveEndpoint(input);
      return { id: saved.id, name: saved.name };
    } catch (err) {
      const [existing] = await cp.findEndpointsByName(input.name).catch(() => []);
      if (existing) {
        const saved = await cp.saveEndpoint({ ...input, id: existing.id });
        return { id: saved.id, name: saved.name };
      }
      if (!(await cp.getTemplateByName(input.name).catch(() => undefined))) throw err;
      await cp.deleteTemplate(input.name);
      const saved = await cp.saveEndpoint(input);
      return { id: saved.id, name: saved.name };
    }
  }

  /**
   * The session's live environment, made on first need with a runtime build that carries Node when
   * any resource's image may lack one; made again (same environment, new build) when a resource
   * added on reload needs Node the first build did not carry.
   */
  private liveEnvironment(resource: ScannedResource): Promise<LiveEnvironment> {
    const env = this.options.env ?? process.env;
    const imageOf = (r: ScannedResource) =>
      usesStartCommand(r.resourceType, r.config.imageName)
        ? [workerImage(r.resourceType, r.config.imageName, env)]
        : [];
    const needs = carriesNode(imageOf(resource), env);
    if (this.liveEnv && (this.liveEnv.carriesNode || !needs)) return this.liveEnv.env;
    const carryNode = needs || carriesNode((this.options.resources?.() ?? []).flatMap(imageOf), env);
    const previous = this.liveEnv?.env;
    const created = (async () => {
      await previous?.catch(() => {});
      const made = await createLiveEnvironment({
        controlPlane: this.options.controlPlane,
        appName: this.options.appName ?? "flash-live",
        sessionId: this.options.sessionId,
        carryNode,
        cacheDir: flashCacheDir(env),
        log: this.options.log,
      });
      this.liveEnvCreated = made;
      await updateLiveSessions(this.options.root, (list) => [
        ...list.filter((s) => s.sessionId !== this.options.sessionId),
        this.sessionEntry(),
      ]);
      this.options.log(
        `Live environment ${made.name}: runtime build ${made.buildId}${made.uploaded ? " (uploaded)" : " (reused)"}.`,
      );
      return made;
    })();
    created.catch(() => {
      if (this.liveEnv?.env === created) this.liveEnv = undefined;
    });
    this.liveEnv = { carriesNode: carryNode, env: created };
    return created;
  }

  private sessionEntry(): LiveSessionEntry {
    return {
      sessionId: this.options.sessionId,
      pid: process.pid,
      graphqlUrl: this.options.controlPlane.urls.graphql,
      embedded: this.options.embedded,
      startedAt: new Date().toISOString(),
      endpoints: [...this.created],
      ...(this.liveEnvCreated
        ? { environment: { id: this.liveEnvCreated.id, name: this.liveEnvCreated.name } }
        : {}),
    };
  }

  private async removeEndpoint(endpoint: LiveEndpointEntry): Promise<void> {
    const { controlPlane } = this.options;
    try {
      await controlPlane.deleteEndpoint(endpoint.id);
    } catch (err) {
      // Already gone counts as removed.
      if ((await controlPlane.getEndpoint(endpoint.id).catch(() => "unknown")) !== undefined) throw err;
    }
    // The inline template carries the endpoint's name; it is of no use without it.
    await controlPlane.deleteTemplate(endpoint.name).catch(() => {});
  }

  /** What the user is told the endpoints are: on the embedded emulator they are local, not on RunPod. */
  private get kind(): "local" | "live" {
    return this.options.embedded ? "local" : "live";
  }

  /** Removes exactly the endpoints this session created, then stops the embedded emulator. */
  async close(): Promise<string[]> {
    const lines: string[] = [];
    await Promise.allSettled([...this.provisioned.values()].map((p) => p.endpoint));
    for (const endpoint of this.created) {
      try {
        await this.removeEndpoint(endpoint);
        lines.push(`Removed ${this.kind} endpoint ${endpoint.name}`);
      } catch (err) {
        lines.push(
          `Could not remove ${this.kind} endpoint ${endpoint.name} (${endpoint.id}): ${(err as Error).message}`,
        );
      }
    }
    if (this.liveEnv) await this.liveEnv.env.catch(() => {});
    if (this.liveEnvCreated) {
      const { id, name } = this.liveEnvCreated;
      try {
        await this.options.controlPlane.deleteFlashEnvironment(id);
        lines.push(`Removed live environment ${name}`);
      } catch (err) {
        if (await this.options.controlPlane.getFlashEnvironment(id).catch(() => "unknown")) {
          lines.push(`Could not remove live environment ${name} (${id}): ${(err as Error).message}`);
        }
      }
    }
    const failed = new Set(lines.filter((l) => l.startsWith("Could not")).map((l) => l));
    await updateLiveSessions(this.options.root, (list) =>
      failed.size > 0
        ? list // keep the record so the next session retries
        : list.filter((s) => s.sessionId !== this.options.sessionId),
    ).catch(() => {});
    await this.options.onClose?.();
    return lines;
  }
}
