import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type ControlPlane, connectControlPlane } from "../../src/cloud/control-plane.ts";
import { GraphqlClient } from "../../src/cloud/graphql-client.ts";
import type { HttpEvent } from "../../src/cloud/http.ts";
import { flashStoreOf } from "../../src/emulator/graphql/index.ts";
import { isFlashError } from "../../src/shared/errors.ts";
import type { EndpointInput } from "../../src/shared/schemas/control-plane.ts";
import { type ControlPlaneServer, startControlPlane } from "../emulator/graphql/serve.ts";

/** The typed client against the emulator's control plane, over real HTTP. */

const FAST_RETRY = { retries: 3, baseDelayMs: 1, maxDelayMs: 5 };
let server: ControlPlaneServer;
let cp: ControlPlane;
let events: HttpEvent[];

beforeAll(async () => {
  server = await startControlPlane();
});
afterAll(async () => {
  await server.close();
});
beforeEach(async () => {
  server.registry.endpoints.clear();
  server.registry.templates.clear();
  server.faults.length = 0;
  server.requests.length = 0;
  events = [];
  cp = await connectControlPlane({
    env: { RUNPOD_API_URL: server.origin, RUNPOD_API_KEY: "client-test-key" },
    http: { retry: FAST_RETRY, onEvent: (e) => events.push(e) },
  });
});

function endpointInput(templateId: string, patch: Partial<EndpointInput> = {}): EndpointInput {
  return {
    name: "hello",
    templateId,
    type: "QB",
    gpuIds: "ADA_24",
    gpuCount: 1,
    workersMin: 0,
    workersMax: 2,
    workersStandby: 0,
    idleTimeout: 30,
    scalerType: "QUEUE_DELAY",
    scalerValue: 4,
    executionTimeoutMs: 60_000,
    flashBootType: "FLASHBOOT",
    ...patch,
  };
}

async function template(name = "hello-tpl") {
  return cp.saveTemplate({
    name,
    imageName: "runpod/flash:latest",
    containerDiskInGb: 20,
    volumeInGb: 0,
    env: [{ key: "FLASH_RESOURCE_NAME", value: "hello" }],
    isServerless: true,
  });
}

describe("endpoints and templates", () => {
  it("targets <origin>/graphql when RUNPOD_API_URL is set", () => {
    expect(cp.client.url).toBe(`${server.origin}/graphql`);
    expect(cp.isEmulator).toBe(true);
    expect(cp.keySource).toBe("env");
  });

  it("tells who the key belongs to", async () => {
    expect(await cp.whoami()).toEqual({ id: expect.any(String) });
  });

  it("creates, updates in place, finds by name, lists and deletes", async () => {
    const tpl = await template();
    expect(tpl.env).toEqual([{ key: "FLASH_RESOURCE_NAME", value: "hello" }]);
    const created = await cp.saveEndpoint(endpointInput(tpl.id));
    expect(created).toMatchObject({ name: "hello", templateId: tpl.id, workersMax: 2, idleTimeout: 30 });

    const updated = await cp.saveEndpoint(endpointInput(tpl.id, { id: created.id, workersMax: 4 }));
    expect(updated.id).toBe(created.id);
    expect(updated.workersMax).toBe(4);
    expect(await cp.listEndpoints()).toHaveLength(1);

    const found = await cp.getEndpointByName("hello");
    expect(found).toMatchObject({ id: created.id, workersMax: 4, executionTimeoutMs: 60_000 });
    expect(await cp.getEndpointByName("nobody")).toBeUndefined();
    expect((await cp.getEndpoint(created.id))?.name).toBe("hello");

    await cp.saveTemplate({
      id: tpl.id,
      name: tpl.name,
      imageName: "runpod/flash:latest",
      containerDiskInGb: 20,
      volumeInGb: 0,
      env: [{ key: "X", value: "y" }],
    });
    expect((await cp.getTemplate(tpl.id))?.env).toEqual([{ key: "X", value: "y" }]);
    expect((await cp.getTemplateByName("hello-tpl"))?.id).toBe(tpl.id);
    expect((await cp.listTemplates()).map((t) => t.name)).toEqual(["hello-tpl"]);

    await cp.deleteEndpoint(created.id);
    await cp.deleteTemplate(tpl.name);
    expect(await cp.listEndpoints()).toEqual([]);
    expect(await cp.getEndpoint(created.id)).toBeUndefined();
    expect(await cp.getTemplate(tpl.id)).toBeUndefined();
  });

  it("finds or creates a network volume by name and data center, and attaches it", async () => {
    expect(await cp.findNetworkVolume({ name: "models", dataCenterId: "EU-RO-1" })).toBeUndefined();
    const volume = await cp.createNetworkVolume({ name: "models", size: 50, dataCenterId: "EU-RO-1" });
    expect(await cp.findNetworkVolume({ name: "models", dataCenterId: "EU-RO-1" })).toEqual(volume);
    expect(await cp.findNetworkVolume({ name: "models", dataCenterId: "US-KS-2" })).toBeUndefined();
    const tpl = await template();
    const ep = await cp.saveEndpoint(
      endpointInput(tpl.id, { networkVolumeId: volume.id, locations: "EU-RO-1" }),
    );
    expect(ep).toMatchObject({ networkVolumeId: volume.id, locations: "EU-RO-1" });
    const err = await cp.saveEndpoint(endpointInput(tpl.id, { networkVolumeId: "nope" })).catch((e) => e);
    expect(err.message).toBe("RunPod saveEndpoint failed: Network volume nope not found");
  });

  it("finds every endpoint sharing a name (RunPod allows duplicates)", async () => {
    const tpl = await template();
    await cp.saveEndpoint(endpointInput(tpl.id));
    await cp.saveEndpoint(endpointInput(tpl.id));
    expect(await cp.findEndpointsByName("hello")).toHaveLength(2);
  });

  it("names the operation and RunPod's message on a GraphQL error", async () => {
    const tpl = await template();
    const err = await cp
      .saveEndpoint(endpointInput(tpl.id, { workersMin: 3, workersMax: 1 }))
      .catch((e) => e);
    expect(isFlashError(err, "RUNPOD_API")).toBe(true);
    expect(err.message).toBe(
      "RunPod saveEndpoint failed: workersMin (3) cannot be greater than workersMax (1)",
    );
  });
});

describe("auth", () => {
  it("turns 401 into RUNPOD_AUTH explaining how to set the key, without the key", async () => {
    const locked = await startControlPlane({ apiKey: "right-key" });
    try {
      const wrong = await connectControlPlane({
        env: { RUNPOD_API_URL: locked.origin, RUNPOD_API_KEY: "wrong-key-123456" },
      });
      const err = await wrong.listEndpoints().catch((e) => e);
      expect(isFlashError(err, "RUNPOD_AUTH")).toBe(true);
      expect(err.message).toMatch(/rejected the API key \(HTTP 401\) on listEndpoints/);
      expect(err.hint).toMatch(/RUNPOD_API_KEY/);
      expect(err.hint).toMatch(/flash login/);
      expect(`${err.message} ${err.hint}`).not.toContain("wrong-key-123456");
    } finally {
      await locked.close();
    }
  });

  it("uses a placeholder key for the emulator when none is configured, and requires one for RunPod", async () => {
    const home = "/nonexistent-home-for-test";
    const local = await connectControlPlane({ env: { RUNPOD_API_URL: server.origin }, home });
    expect(local.keySource).toBe("placeholder");
    expect(await local.listEndpoints()).toEqual([]);
    const err = await connectControlPlane({ env: {}, home }).catch((e) => e);
    expect(isFlashError(err, "RUNPOD_AUTH")).toBe(true);
    expect(err.hint).toMatch(/RUNPOD_API_KEY/);
  });
});

describe("retries", () => {
  it("retries a query on 503 and 429, then succeeds", async () => {
    server.faults.push(503, 429);
    expect(await cp.listEndpoints()).toEqual([]);
    expect(server.requests.filter((r) => r.operation === "listEndpoints")).toHaveLength(3);
    expect(events.filter((e) => e.type === "retry").map((e) => e.type === "retry" && e.reason)).toEqual([
      "HTTP 503",
      "HTTP 429",
    ]);
  });

  it("retries a query whose connection drops", async () => {
    server.faults.push("drop");
    expect(await cp.listFlashApps()).toEqual([]);
    expect(server.requests.filter((r) => r.operation === "getFlashApps")).toHaveLength(2);
  });

  it("retries a query on a transient GraphQL message in a 200 response", async () => {
    server.faults.push({ graphqlError: "Service unavailable, please try again later" });
    expect(await cp.listEndpoints()).toEqual([]);
    expect(server.requests).toHaveLength(2);
  });

  it("gives up after the configured retries with the last status", async () => {
    server.faults.push(502, 502, 502, 502);
    const err = await cp.listEndpoints().catch((e) => e);
    expect(err.message).toBe("RunPod listEndpoints failed: HTTP 502: injected 502.");
    expect(server.requests).toHaveLength(4);
  });

  it("does not retry a create on 5xx (it may have been applied)", async () => {
    server.faults.push(503);
    const err = await cp.createFlashApp("app").catch((e) => e);
    expect(isFlashError(err, "RUNPOD_API")).toBe(true);
    expect(err.message).toBe("RunPod createFlashApp failed: HTTP 503: injected 503.");
    expect(err.hint).toMatch(/not retried/);
    expect(server.requests).toHaveLength(1);
  });

  it("does not retry a create whose connection dropped, and says the outcome is unknown", async () => {
    const tpl = await template();
    server.faults.push("drop");
    const err = await cp.saveEndpoint(endpointInput(tpl.id)).catch((e) => e);
    expect(err.message).toMatch(
      /RunPod saveEndpoint failed: network error.*may or may not have been applied/,
    );
    expect(server.requests.filter((r) => r.operation === "saveEndpoint")).toHaveLength(1);
  });

  it("retries a full-replace update (saveEndpoint with id) on 5xx", async () => {
    const tpl = await template();
    const created = await cp.saveEndpoint(endpointInput(tpl.id));
    server.faults.push(500);
    const updated = await cp.saveEndpoint(endpointInput(tpl.id, { id: created.id, idleTimeout: 99 }));
    expect(updated.idleTimeout).toBe(99);
    expect(server.requests.filter((r) => r.operation === "saveEndpoint")).toHaveLength(3);
  });

  it("retries even a create when the connection was refused (never sent)", async () => {
    const closed = await startControlPlane();
    const origin = closed.origin;
    await closed.close();
    const seen: HttpEvent[] = [];
    const client = new GraphqlClient({
      apiKey: "k",
      url: `${origin}/graphql`,
      retry: FAST_RETRY,
      onEvent: (e) => seen.push(e),
    });
    const { createFlashApp } = await import("../../src/cloud/flash-apps.ts");
    const err = await createFlashApp(client, "x").catch((e) => e);
    expect(err.message).toMatch(/network error ECONNREFUSED/);
    expect(err.message).not.toMatch(/may or may not/);
    expect(err.hint).toMatch(/flash emulator/);
    expect(seen.filter((e) => e.type === "retry")).toHaveLength(3);
  });
});

describe("flash apps, environments, builds", () => {
  it("runs the deploy sequence: app, environment, upload, finalize, activate", async () => {
    expect(await cp.getFlashAppByName("proj")).toBeUndefined();
    const app = await cp.createFlashApp("proj");
    const env = await cp.createFlashEnvironment({ flashAppId: app.id, name: "production" });
    expect(await cp.getFlashEnvironmentByName({ flashAppId: app.id, name: "staging" })).toBeUndefined();

    const artifact = new Uint8Array([0x1f, 0x8b, 1, 2, 3, 4, 5]);
    const manifest = { version: "1.0", resources: { hello: { resource_type: "LiveServerless" } } };
    const build = await cp.uploadBuild({ flashAppId: app.id, artifact, manifest });
    expect(build.manifest).toEqual(manifest);
    expect(await cp.getFlashBuild(build.id)).toEqual({ id: build.id, manifest });

    const deployed = await cp.deployBuildToEnvironment({
      flashEnvironmentId: env.id,
      flashBuildId: build.id,
    });
    expect(deployed.activeArtifact?.downloadUrl).toMatch(new RegExp(`^${server.origin}/artifacts/`));
    const download = await fetch(deployed.activeArtifact?.downloadUrl ?? "");
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(artifact);

    const tpl = await template();
    const endpoint = await cp.saveEndpoint(endpointInput(tpl.id, { flashEnvironmentId: env.id }));
    const envNow = await cp.getFlashEnvironmentByName({ flashAppId: app.id, name: "production" });
    expect(envNow).toMatchObject({
      activeBuildId: build.id,
      endpoints: [{ id: endpoint.id, name: "hello" }],
    });
    const path = flashStoreOf(server.registry).artifactPathForEndpoint(
      server.registry.endpoints.get(endpoint.id)!,
    );
    expect(new Uint8Array(await readFile(path ?? ""))).toEqual(artifact);

    const withIds = { ...manifest, resources_endpoints: { hello: endpoint.id } };
    expect(
      (await cp.updateFlashBuildManifest({ flashBuildId: build.id, manifest: withIds })).manifest,
    ).toEqual(withIds);
    const listed = await cp.getFlashAppByName("proj");
    expect(listed?.flashEnvironments?.map((e) => e.name)).toEqual(["production"]);
    expect(await cp.listFlashBuilds(app.id)).toEqual([expect.objectContaining({ id: build.id })]);
    expect((await cp.listFlashApps()).map((a) => a.name)).toContain("proj");

    await cp.deleteFlashEnvironment(env.id);
    await cp.deleteFlashApp(app.id);
    expect(await cp.getFlashApp(app.id)).toBeUndefined();
  });

  it("reports a rejected upload with the storage message and without the presigned URL", async () => {
    const app = await cp.createFlashApp("upload-test");
    const upload = await cp.prepareArtifactUpload({ flashAppId: app.id, tarballSize: 10 });
    const token = new URL(upload.uploadUrl).searchParams.get("token") ?? "";
    const err = await cp.uploadArtifact(upload, new Uint8Array(3)).catch((e) => e);
    expect(err.message).toMatch(/RunPod artifact upload failed: HTTP 400: Expected 10 bytes/);
    expect(token.length).toBeGreaterThan(8);
    expect(err.message).not.toContain(token);
    const forged = new URL(upload.uploadUrl);
    forged.searchParams.set("token", "f".repeat(32));
    const denied = await cp
      .uploadArtifact({ uploadUrl: forged.toString() }, new Uint8Array(10))
      .catch((e) => e);
    // A refused presigned URL is not an API-key problem: RUNPOD_API, with storage's message.
    expect(isFlashError(denied, "RUNPOD_API")).toBe(true);
    expect(denied.message).toMatch(/HTTP 403: The request signature does not match/);
    const finalize = await cp
      .finalizeArtifactUpload({ flashAppId: app.id, objectKey: upload.objectKey, manifest: {} })
      .catch((e) => e);
    expect(finalize.message).toMatch(/has not been uploaded/);
  });
});
