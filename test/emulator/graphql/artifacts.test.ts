import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flashStoreOf } from "../../../src/emulator/graphql/index.ts";
import { type ControlPlaneServer, dataOf, gql, startControlPlane } from "./serve.ts";

/** The artifact upload/download routes, with the request body streamed as the emulator server does. */

let server: ControlPlaneServer;
let appId: string;

beforeAll(async () => {
  server = await startControlPlane({ streamUploads: true });
  const created = await gql(server.origin, 'mutation { createFlashApp(input: { name: "arts" }) { id } }');
  appId = dataOf(created, "createFlashApp").id;
});
afterAll(async () => {
  await server.close();
});

async function prepare(size: number): Promise<{ uploadUrl: string; objectKey: string; expiresAt: string }> {
  const { body } = await gql(
    server.origin,
    `mutation PrepareArtifactUpload($input: PrepareFlashArtifactUploadInput!) {
      prepareFlashArtifactUpload(input: $input) { uploadUrl objectKey expiresAt } }`,
    { input: { flashAppId: appId, tarballSize: size } },
  );
  expect(body.errors).toBeUndefined();
  return body.data?.prepareFlashArtifactUpload as never;
}

function put(url: string, bytes: Uint8Array) {
  return fetch(url, { method: "PUT", headers: { "content-type": "application/gzip" }, body: bytes });
}

describe("artifact upload", () => {
  it("stores a streamed upload, accepts a retried PUT, and serves it back", async () => {
    const bytes = new Uint8Array(256 * 1024).map((_, i) => i % 251);
    const upload = await prepare(bytes.byteLength);
    expect(upload.uploadUrl.startsWith(`${server.origin}/upload/`)).toBe(true);
    expect(Date.parse(upload.expiresAt)).toBeGreaterThan(Date.now());
    expect((await put(upload.uploadUrl, bytes)).status).toBe(200);
    // A repeated PUT of the same bytes (a client retry) is accepted.
    expect((await put(upload.uploadUrl, bytes)).status).toBe(200);

    const slot = flashStoreOf(server.registry).artifacts.get(upload.objectKey);
    // Buffer.equals, not toEqual: a deep diff of 256 K elements is slow.
    expect((await readFile(slot?.path ?? "")).equals(bytes)).toBe(true);

    const head = await fetch(upload.uploadUrl.replace("/upload/", "/artifacts/"), { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(bytes.byteLength));
  });

  it("refuses a body of another size than declared, keeping nothing", async () => {
    const upload = await prepare(10);
    const over = await put(upload.uploadUrl, new Uint8Array(4096));
    expect(over.status).toBe(400);
    expect(await over.text()).toMatch(/Expected 10 bytes \(tarballSize\), received 4096/);
    const under = await put(upload.uploadUrl, new Uint8Array(3));
    expect(under.status).toBe(400);
    expect(flashStoreOf(server.registry).artifacts.get(upload.objectKey)?.path).toBeUndefined();
  });

  it("refuses a wrong token (403), an unknown key (404) and a download before upload (404)", async () => {
    const upload = await prepare(4);
    const wrong = new URL(upload.uploadUrl);
    wrong.searchParams.set("token", "0".repeat(32));
    expect((await put(wrong.toString(), new Uint8Array(4))).status).toBe(403);
    expect((await put(`${server.origin}/upload/nope.tar.gz?token=x`, new Uint8Array(4))).status).toBe(404);
    expect((await fetch(upload.uploadUrl.replace("/upload/", "/artifacts/"))).status).toBe(404);
    expect((await fetch(upload.uploadUrl)).status).toBe(405);
  });

  it("rejects tarball sizes RunPod would not take", async () => {
    for (const tarballSize of [0, 1600 * 1024 * 1024]) {
      const { body } = await gql(
        server.origin,
        "mutation($input: PrepareFlashArtifactUploadInput!) { prepareFlashArtifactUpload(input: $input) { objectKey } }",
        { input: { flashAppId: appId, tarballSize } },
      );
      expect(body.errors?.[0]?.message).toMatch(/tarballSize/);
    }
  });

  it("refuses to register one artifact as two builds, and a build of another app", async () => {
    const upload = await prepare(2);
    await put(upload.uploadUrl, new Uint8Array(2));
    const finalize = `mutation($input: FinalizeFlashArtifactUploadInput!) {
      finalizeFlashArtifactUpload(input: $input) { id manifest } }`;
    const first = await gql(server.origin, finalize, {
      input: { flashAppId: appId, objectKey: upload.objectKey, manifest: { resources: {} } },
    });
    expect(first.body.errors).toBeUndefined();
    const second = await gql(server.origin, finalize, {
      input: { flashAppId: appId, objectKey: upload.objectKey, manifest: { resources: {} } },
    });
    expect(second.body.errors?.[0]?.message).toMatch(/already registered/);
    const notObject = await gql(server.origin, finalize, {
      input: { flashAppId: appId, objectKey: upload.objectKey, manifest: [1, 2] },
    });
    expect(notObject.body.errors?.[0]?.message).toMatch(/manifest must be a JSON object/);

    const other = await gql(server.origin, 'mutation { createFlashApp(input: { name: "other" }) { id } }');
    const otherId = dataOf(other, "createFlashApp").id;
    const env = await gql(
      server.origin,
      "mutation($input: CreateFlashEnvironmentInput!) { createFlashEnvironment(input: $input) { id } }",
      { input: { flashAppId: otherId, name: "production" } },
    );
    const envId = dataOf(env, "createFlashEnvironment").id;
    const buildId = dataOf(first, "finalizeFlashArtifactUpload").id;
    const deploy = await gql(
      server.origin,
      "mutation($input: DeployBuildToEnvironmentInput!) { deployBuildToEnvironment(input: $input) { id } }",
      { input: { flashEnvironmentId: envId, flashBuildId: buildId } },
    );
    expect(deploy.body.errors?.[0]?.message).toMatch(/belongs to another app/);
  });
});
