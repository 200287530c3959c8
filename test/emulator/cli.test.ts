import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, expect, test } from "vitest";
import { callEndpoint } from "../../src/cloud/queue-call.ts";
import { QueueClient } from "../../src/cloud/queue-client.ts";
import { outsideWorkerEnv } from "../../src/emulator/index.ts";
import { rawRequest } from "../helpers/raw-http.ts";
import { alive, bundleFixture, live } from "./helpers.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
let child: ChildProcess | undefined;

afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  child = undefined;
});

async function graphql(url: string, query: string, variables: unknown) {
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { authorization: "Bearer cli-test", "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as {
    data?: Record<string, { id: string }>;
    errors?: { message: string }[];
  };
  if (body.errors) throw new Error(body.errors[0]!.message);
  return body.data!;
}

test("flash emulator prints RUNPOD_API_URL, serves jobs, and stops its workers on SIGTERM", async () => {
  child = spawn(process.execPath, ["bin/flash.js", "emulator", "--port", "0"], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (c) => {
    out += c;
  });
  child.stderr!.resume();
  const url = await new Promise<string>((resolve, reject) => {
    child!.stdout!.on("data", () => {
      const m = /export RUNPOD_API_URL=(\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child!.once("exit", (code) => reject(new Error(`flash emulator exited with ${code}: ${out}`)));
  });
  expect(out).toContain(`listening on ${url}`);
  expect(out).toContain(`export RUNPOD_WEBHOOK_GET_JOB='${url}/v2/<endpointId>/job-take/$ID?gpu=emulator'`);
  expect(out).toContain("RUNPOD_AI_API_KEY: any non-empty value works");

  const { saveTemplate } = await graphql(
    url,
    "mutation($i: SaveTemplateInput) { saveTemplate(input: $i) { id } }",
    {
      i: {
        name: "cli-tpl",
        imageName: "runpod/flash:test",
        containerDiskInGb: 5,
        volumeInGb: 0,
        env: [{ key: "FLASH_LIVE", value: "1" }],
      },
    },
  );
  const { saveEndpoint } = await graphql(
    url,
    "mutation($i: EndpointInput!) { saveEndpoint(input: $i) { id } }",
    {
      i: {
        name: "cli-ep",
        templateId: saveTemplate!.id,
        workersMin: 0,
        workersMax: 1,
        idleTimeout: 60,
        gpuIds: "ANY",
      },
    },
  );

  // RUNPOD_API_URL alone points the client at the emulator (no key needed: a placeholder is sent).
  const client = new QueueClient({ env: { RUNPOD_API_URL: url } });
  expect(client.baseUrl).toBe(`${url}/v2`);
  const bundle = await bundleFixture("emulator/functions.ts");
  const output = (await callEndpoint(client, saveEndpoint!.id, live(bundle, "echo", { via: "cli" }))) as {
    echoed: unknown;
    pid: number;
  };
  expect(output.echoed).toEqual({ via: "cli" });
  expect(alive(output.pid)).toBe(true);

  const exit = new Promise<number | null>((resolve) => child!.once("exit", (code) => resolve(code)));
  child.kill("SIGTERM");
  expect(await exit).toBe(0);
  expect(alive(output.pid)).toBe(false);
});

test("flash emulator prints the environment of an outside worker, never the --api-key itself", async () => {
  child = spawn(
    process.execPath,
    ["bin/flash.js", "emulator", "--port", "0", "--api-key", "s3cret-user-key"],
    {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  let err = "";
  child.stdout!.on("data", (c) => {
    out += c;
  });
  child.stderr!.on("data", (c) => {
    err += c;
  });
  await new Promise<void>((resolve, reject) => {
    child!.stdout!.on("data", () => {
      if (out.includes("Press Ctrl+C")) resolve();
    });
    child!.once("exit", (code) => reject(new Error(`flash emulator exited with ${code}: ${out}${err}`)));
  });
  const url = /export RUNPOD_API_URL=(\S+)/.exec(out)![1]!;
  // The very environment outsideWorkerEnv gives, for an <endpointId> to fill in, quoted for a shell.
  const env = outsideWorkerEnv(url, "<endpointId>", { apiKey: "<your --api-key>" });
  for (const key of [
    "RUNPOD_WEBHOOK_GET_JOB",
    "RUNPOD_WEBHOOK_POST_OUTPUT",
    "RUNPOD_WEBHOOK_POST_STREAM",
    "RUNPOD_WEBHOOK_PING",
    "RUNPOD_AI_API_KEY",
    "RUNPOD_POD_ID",
  ] as const) {
    expect(out).toContain(`export ${key}='${env[key]}'`);
  }
  expect(out).toContain(`${url}/v2/<endpointId>/job-take/$ID?gpu=emulator`);
  expect(out).toContain(`${url}/v2/<endpointId>/job-done/$RUNPOD_POD_ID/$ID?gpu=emulator`);
  expect(out).toContain("the key given with --api-key");
  expect(out + err).not.toContain("s3cret-user-key");

  const exit = new Promise<number | null>((resolve) => child!.once("exit", (code) => resolve(code)));
  child.kill("SIGTERM");
  expect(await exit).toBe(0);
});

test("flash emulator --port rejects a bad value", async () => {
  child = spawn(process.execPath, ["bin/flash.js", "emulator", "--port", "nope"], {
    cwd: root,
    stdio: "pipe",
  });
  let err = "";
  child.stderr!.on("data", (c) => {
    err += c;
  });
  const code = await new Promise<number | null>((resolve) => child!.once("exit", resolve));
  expect(code).toBe(2);
  expect(err).toContain("--port");
});

test("flash emulator --allowed-hosts answers the named host, still refuses others, and rejects a URL", async () => {
  child = spawn(
    process.execPath,
    ["bin/flash.js", "emulator", "--port", "0", "--allowed-hosts", "emu.test"],
    {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stdout!.on("data", (c) => {
    out += c;
  });
  child.stderr!.resume();
  const url = await new Promise<string>((resolve, reject) => {
    child!.stdout!.on("data", () => {
      const m = /export RUNPOD_API_URL=(\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child!.once("exit", (code) => reject(new Error(`flash emulator exited with ${code}: ${out}`)));
  });
  const named = await rawRequest(url, "GET", "/", { host: "emu.test:8787" });
  expect(named.status).toBe(200);
  expect(named.json.name).toBe("flash emulator");
  const other = await rawRequest(url, "GET", "/", { host: "evil.example" });
  expect(other.status).toBe(403);
  expect(other.json.error).toContain("--allowed-hosts evil.example");
  expect((await rawRequest(url, "GET", "/", {})).status).toBe(200);

  const bad = spawn(process.execPath, ["bin/flash.js", "emulator", "--allowed-hosts", "http://emu.test:80"], {
    cwd: root,
    stdio: "pipe",
  });
  let err = "";
  bad.stderr!.on("data", (c) => {
    err += c;
  });
  const code = await new Promise<number | null>((resolve) => bad.once("exit", resolve));
  expect(code).toBe(2);
  expect(err).toContain('--allowed-hosts: "http://emu.test:80" is not a host name');
});
