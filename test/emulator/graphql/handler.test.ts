import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { isFlashWorkerImage } from "../../../src/emulator/graphql/index.ts";
import type { EmulatedEndpoint } from "../../../src/emulator/registry.ts";
import { type ControlPlaneServer, gql, startControlPlane } from "./serve.ts";

const FLASH_IMAGE = "runpod/flash:latest";

const SAVE_TEMPLATE = `mutation saveTemplate($input: SaveTemplateInput) {
  saveTemplate(input: $input) { id name imageName containerDiskInGb dockerArgs env { key value } readme } }`;

// The selection RunPod's Python Flash sends with saveEndpoint (runpod_flash/core/api/runpod.py).
const SAVE_ENDPOINT = `mutation saveEndpoint($input: EndpointInput!) {
  saveEndpoint(input: $input) {
    aiKey gpuIds id idleTimeout locations name networkVolumeId networkVolumeIds { networkVolumeId dataCenterId }
    flashEnvironmentId scalerType scalerValue templateId type userId version workersMax workersMin
    workersStandby workersPFBTarget gpuCount allowedCudaVersions minCudaVersion executionTimeoutMs
    instanceIds activeBuildid idePodId flashBootType } }`;

const LIST_ENDPOINTS = `query { myself { id endpoints { id name templateId workersMin workersMax idleTimeout type
  template { id name imageName env { key value } } } serverlessDiscount { discountFactor type expirationDate } } }`;

let server: ControlPlaneServer;

beforeAll(async () => {
  server = await startControlPlane();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.registry.endpoints.clear();
  server.registry.templates.clear();
  server.warnings.length = 0;
});

async function createTemplate(name = "tpl", imageName = FLASH_IMAGE, env = [{ key: "A", value: "1" }]) {
  const { body } = await gql(server.origin, SAVE_TEMPLATE, {
    input: { name, imageName, containerDiskInGb: 20, volumeInGb: 0, env, isServerless: true },
  });
  expect(body.errors).toBeUndefined();
  const template = body.data?.saveTemplate as { id: string };
  return template.id;
}

/** saveEndpoint with a GPU pool unless the test says otherwise (RunPod requires gpuIds or instanceIds). */
async function saveEndpoint(input: Record<string, unknown>) {
  const withPool = "gpuIds" in input || "instanceIds" in input ? input : { gpuIds: "AMPERE_16", ...input };
  return gql(server.origin, SAVE_ENDPOINT, { input: withPool });
}

describe("auth", () => {
  it("answers 401 without an API key, whatever the document", async () => {
    const res = await gql(server.origin, "query { myself { id } }", {}, {});
    expect(res.status).toBe(401);
    expect(res.body.errors?.[0]?.message).toMatch(/API key/);
  });

  it("accepts any non-empty key, as a Bearer header or an api_key query parameter", async () => {
    expect((await gql(server.origin, "query { myself { id } }")).status).toBe(200);
    const res = await fetch(`${server.origin}/graphql?api_key=anything`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "query { myself { id } }" }),
    });
    expect(res.status).toBe(200);
  });

  it("accepts only the configured key when started with one", async () => {
    const locked = await startControlPlane({ apiKey: "the-key" });
    try {
      expect(
        (await gql(locked.origin, "{ myself { id } }", {}, { authorization: "Bearer other" })).status,
      ).toBe(401);
      expect(
        (await gql(locked.origin, "{ myself { id } }", {}, { authorization: "Bearer the-key" })).status,
      ).toBe(200);
    } finally {
      await locked.close();
    }
  });
});

describe("templates and endpoints", () => {
  it("creates a template and an endpoint with RunPod's field names, listed under myself", async () => {
    const templateId = await createTemplate();
    const { status, body } = await saveEndpoint({
      name: "worker",
      templateId,
      gpuIds: "ADA_24,AMPERE_48",
      workersMin: 0,
      workersMax: 2,
      idleTimeout: 30,
      executionTimeoutMs: 5000,
      flashBootType: "FLASHBOOT",
      type: "QB",
    });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const ep = body.data?.saveEndpoint as Record<string, unknown>;
    expect(ep).toMatchObject({
      name: "worker",
      templateId,
      gpuIds: "ADA_24,AMPERE_48",
      gpuCount: 1,
      workersMin: 0,
      workersMax: 2,
      idleTimeout: 30,
      scalerType: "QUEUE_DELAY",
      scalerValue: 4,
      executionTimeoutMs: 5000,
      flashBootType: "FLASHBOOT",
      type: "QB",
      version: 1,
      instanceIds: [],
    });
    expect(ep.id).toMatch(/^[a-z0-9]{14}$/);

    const list = await gql(server.origin, LIST_ENDPOINTS);
    const myself = list.body.data?.myself as { endpoints: unknown[]; serverlessDiscount: unknown };
    expect(myself.endpoints).toEqual([
      expect.objectContaining({
        id: ep.id,
        name: "worker",
        template: { id: templateId, name: "tpl", imageName: FLASH_IMAGE, env: [{ key: "A", value: "1" }] },
      }),
    ]);
    expect(myself.serverlessDiscount).toBeNull();
    expect(server.registry.endpoints.get(ep.id as string)?.executionTimeoutMs).toBe(5000);
  });

  it("updates in place when id is given, resetting omitted fields to defaults (full replace)", async () => {
    const templateId = await createTemplate();
    const created = (await saveEndpoint({ name: "w", templateId, workersMax: 5, idleTimeout: 90 })).body.data
      ?.saveEndpoint as { id: string };
    const events: [EmulatedEndpoint, EmulatedEndpoint | undefined][] = [];
    const listener = (e: EmulatedEndpoint, p: EmulatedEndpoint | undefined) => events.push([e, p]);
    server.registry.on("endpoint:saved", listener);
    try {
      const { body } = await saveEndpoint({ id: created.id, name: "w", templateId, workersMax: 1 });
      expect(body.errors).toBeUndefined();
      expect(body.data?.saveEndpoint).toMatchObject({ id: created.id, workersMax: 1, idleTimeout: 5 });
    } finally {
      server.registry.off("endpoint:saved", listener);
    }
    expect(server.registry.endpoints.size).toBe(1);
    expect(events).toHaveLength(1);
    expect(events[0]?.[1]?.idleTimeout).toBe(90);
    expect(events[0]?.[0].idleTimeout).toBe(5);
  });

  it("creates an inline template with saveEndpoint and maps a CPU endpoint", async () => {
    const { body } = await saveEndpoint({
      name: "cpu",
      instanceIds: ["cpu3c-2-4"],
      template: { name: "cpu-tpl", imageName: "runpod/flash-cpu:py3.12-1.0", env: [], containerDiskInGb: 10 },
    });
    expect(body.errors).toBeUndefined();
    expect(body.data?.saveEndpoint).toMatchObject({ instanceIds: ["cpu3c-2-4"], gpuIds: null });
    expect([...server.registry.templates.values()].map((t) => t.name)).toEqual(["cpu-tpl"]);
    expect(server.warnings).toEqual([]);
  });

  it.each([
    [{ workersMin: 3, workersMax: 1 }, /workersMin \(3\) cannot be greater than workersMax \(1\)/],
    [{ templateId: "nope" }, /Template nope not found/],
    [{ id: "missing" }, /Endpoint missing not found/],
    [{ idleTimeout: 0 }, /idleTimeout must be an integer between 1 and 3600/],
    [{ gpuIds: "ADA_24,RTX_9999" }, /Unknown GPU pool id "RTX_9999"/],
    [{ type: "LB", scalerType: "QUEUE_DELAY" }, /REQUEST_COUNT/],
    [{ type: "XX" }, /type must be QB or LB/],
    [{ instanceIds: ["big-box"] }, /Unknown CPU instance id/],
    [{ gpuIds: "" }, /gpuIds is required \(or instanceIds for a CPU endpoint\)/],
    [{ flashEnvironmentId: "nope" }, /Flash environment nope not found/],
    [{ template: { name: "x", imageName: FLASH_IMAGE, env: [] } }, /either templateId or template/],
  ])(
    "rejects invalid input %j as RunPod does: HTTP 200 with errors, nothing saved",
    async (patch, message) => {
      const templateId = await createTemplate();
      const { status, body } = await saveEndpoint({ name: "bad", templateId, ...patch });
      expect(status).toBe(200);
      expect(body.data).toEqual({ saveEndpoint: null });
      expect(body.errors?.[0]?.message).toMatch(message);
      expect(body.errors?.[0]?.path).toEqual(["saveEndpoint"]);
      expect(server.registry.endpoints.size).toBe(0);
      expect(server.registry.templates.size).toBe(1);
    },
  );

  it("warns about an image the emulator cannot run, and accepts it", async () => {
    await createTemplate("mine", "ghcr.io/acme/llm-server:2");
    await createTemplate("mine-2", "ghcr.io/acme/llm-server:2");
    expect(server.warnings).toHaveLength(2);
    expect(server.warnings[0]).toMatch(
      /"mine" names image "ghcr.io\/acme\/llm-server:2".*no workers.*worker you start yourself/,
    );
    expect(isFlashWorkerImage("runpod/flash-lb-cpu:py3.12-1.19.0")).toBe(true);
    expect(isFlashWorkerImage("docker.io/me/runpod-flash-worker:0.1.0")).toBe(true);
    expect(isFlashWorkerImage("runpod-flash-ts/worker-gpu:0.1.0")).toBe(true);
    expect(isFlashWorkerImage("localhost:5000/flash:dev")).toBe(true);
    expect(isFlashWorkerImage("nginx:latest")).toBe(false);
    expect(isFlashWorkerImage("ghcr.io/acme/flashattention:2")).toBe(false);
  });

  it("deletes an endpoint that still has workers (Python Flash does not scale to 0 first)", async () => {
    const templateId = await createTemplate();
    const ep = (await saveEndpoint({ name: "w", templateId, workersMin: 1, workersMax: 2 })).body.data
      ?.saveEndpoint as { id: string };
    const deleted: string[] = [];
    server.registry.once("endpoint:deleted", (e) => deleted.push(e.id));
    const res = await gql(
      server.origin,
      "mutation deleteEndpoint($id: String!) { deleteEndpoint(id: $id) }",
      {
        id: ep.id,
      },
    );
    expect(res.body).toEqual({ data: { deleteEndpoint: null } });
    expect(deleted).toEqual([ep.id]);
    const again = await gql(server.origin, "mutation($id: String!) { deleteEndpoint(id: $id) }", {
      id: ep.id,
    });
    expect(again.body.errors?.[0]?.message).toMatch(/not found/);
  });

  it("deletes templates by name, refusing while an endpoint uses one", async () => {
    const templateId = await createTemplate("shared");
    const ep = (await saveEndpoint({ name: "w", templateId })).body.data?.saveEndpoint as { id: string };
    const del =
      "mutation deleteTemplate($templateName: String) { deleteTemplate(templateName: $templateName) }";
    const refused = await gql(server.origin, del, { templateName: "shared" });
    expect(refused.body.errors?.[0]?.message).toMatch(/in use by endpoint/);
    await gql(server.origin, "mutation($id: String!) { deleteEndpoint(id: $id) }", { id: ep.id });
    expect((await gql(server.origin, del, { templateName: "shared" })).body).toEqual({
      data: { deleteTemplate: null },
    });
    expect(server.registry.templates.size).toBe(0);
  });

  it("enforces unique template names and serverless templates without volume", async () => {
    await createTemplate("dup");
    const dup = await gql(server.origin, SAVE_TEMPLATE, {
      input: { name: "dup", imageName: FLASH_IMAGE, containerDiskInGb: 5, volumeInGb: 0, env: [] },
    });
    expect(dup.body.errors?.[0]?.message).toMatch(/unique/);
    const vol = await gql(server.origin, SAVE_TEMPLATE, {
      input: {
        name: "v",
        imageName: FLASH_IMAGE,
        containerDiskInGb: 5,
        volumeInGb: 10,
        env: [],
        isServerless: true,
      },
    });
    expect(vol.body.errors?.[0]?.message).toMatch(/volumeInGb must be 0/);
  });

  it("updating a template bumps the version of endpoints using it", async () => {
    const templateId = await createTemplate("t");
    const ep = (await saveEndpoint({ name: "w", templateId })).body.data?.saveEndpoint as { id: string };
    await gql(server.origin, SAVE_TEMPLATE, {
      input: {
        id: templateId,
        name: "t",
        imageName: FLASH_IMAGE,
        containerDiskInGb: 20,
        volumeInGb: 0,
        env: [],
      },
    });
    const got = await gql(server.origin, "query($id: String!) { myself { endpoint(id: $id) { version } } }", {
      id: ep.id,
    });
    expect(got.body.data?.myself).toEqual({ endpoint: { version: 2 } });
    const tpl = await gql(server.origin, "query($id: String!) { podTemplate(id: $id) { env { key } } }", {
      id: templateId,
    });
    expect(tpl.body.data?.podTemplate).toEqual({ env: [] });
  });
});

describe("documents from RunPod's docs", () => {
  it("runs the docs' saveEndpoint example (inline literals) and endpoints listing", async () => {
    const templateId = await createTemplate("docs");
    const created = await gql(
      server.origin,
      `mutation { saveEndpoint(input: { gpuIds: "AMPERE_16", idleTimeout: 5, locations: "US",
        name: "Generated Endpoint -fb", networkVolumeId: "", scalerType: "QUEUE_DELAY", scalerValue: 4,
        templateId: "${templateId}", workersMax: 3, workersMin: 0 }) {
        gpuIds id idleTimeout locations name scalerType scalerValue templateId workersMax workersMin } }`,
    );
    expect(created.body.errors).toBeUndefined();
    expect(created.body.data?.saveEndpoint).toMatchObject({
      locations: "US",
      name: "Generated Endpoint -fb",
    });
    const listed = await gql(
      server.origin,
      `query { myself { endpoints { gpuIds id idleTimeout locations name networkVolumeId pods { desiredStatus }
        scalerType scalerValue templateId workersMax workersMin } serverlessDiscount { discountFactor type } } }`,
    );
    expect(listed.body.errors).toBeUndefined();
    expect(listed.body.data?.myself).toMatchObject({
      endpoints: [{ name: "Generated Endpoint -fb", pods: [] }],
    });
  });
});

describe("GraphQL protocol", () => {
  it("answers 400 for a document that does not parse or validate", async () => {
    const syntax = await gql(server.origin, "query { myself { id ");
    expect(syntax.status).toBe(400);
    expect(syntax.body.errors?.[0]?.message).toMatch(/Syntax Error/);
    const unknown = await gql(server.origin, "query { myself { noSuchField } }");
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors?.[0]?.message).toMatch(/noSuchField/);
  });

  it("answers 400 for a body that is not JSON", async () => {
    const res = await fetch(`${server.origin}/graphql`, {
      method: "POST",
      headers: { authorization: "Bearer k", "content-type": "application/json" },
      body: "{not json",
    });
    expect(res.status).toBe(400);
  });
});
