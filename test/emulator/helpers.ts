import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { createEmulator, type Emulator, type EmulatorOptions } from "../../src/emulator/index.ts";
import type { EmulatedEndpoint } from "../../src/emulator/registry.ts";
import { LIVE_MARKER } from "../../src/runtime/env.ts";
import { liveJobInput } from "../../src/shared/schemas/flash-job.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** A live bundle of a fixture file: `runpod-flash` resolved to the SDK sources, as the dev server does. */
export async function bundleFixture(
  file: string,
  external: string[] = [],
): Promise<{ code: string; sha256: string; file: string }> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [join(root, "test/fixtures", file)],
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    target: "node20",
    alias: { "runpod-flash": join(root, "src/sdk/index.ts") },
    external,
    define: { __FLASH_VERSION__: '"test"' },
    logLevel: "silent",
  });
  const code = result.outputFiles[0]!.text;
  return { code, sha256: createHash("sha256").update(code).digest("hex"), file };
}

/** The `input` of a live job calling `fn` of `bundle`. */
export function live(
  bundle: { code: string; sha256: string; file: string },
  fn: string,
  input: unknown,
  deps: string[] = [],
) {
  return liveJobInput(
    {
      v: 1,
      function: fn,
      file: bundle.file,
      bundle: { sha256: bundle.sha256, code: bundle.code },
      dependencies: deps,
      systemDependencies: [],
    },
    input,
  );
}

export interface TestEmulator extends Emulator {
  logs: string[];
  cacheDir: string;
}

/** An emulator on a free port with its own worker cache; close it in afterEach/afterAll. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<TestEmulator> {
  const cacheDir = mkdtempSync(join(tmpdir(), "flash-emu-test-"));
  const logs: string[] = [];
  const emu = await createEmulator({ cacheDir, log: (l) => logs.push(l), ...options });
  const close = emu.close.bind(emu);
  return Object.assign(emu, {
    logs,
    cacheDir,
    close: async () => {
      await close();
      rmSync(cacheDir, { recursive: true, force: true });
    },
  });
}

let counter = 0;

/** The template env of a live endpoint, as `flash run` provisions it: its workers run shipped code. */
export const LIVE_ENV = { [LIVE_MARKER.key]: LIVE_MARKER.value };

/**
 * Creates a template and an endpoint directly in the registry (what saveTemplate/saveEndpoint do).
 * It is a live endpoint (`LIVE_ENV` added to `env`) unless `env` names a deployed resource
 * (FLASH_RESOURCE_NAME), which is exactly what `flash deploy` gives its endpoints.
 */
export function addEndpoint(
  emu: Emulator,
  fields: Partial<EmulatedEndpoint> & {
    env?: Record<string, string>;
    /** Template fields besides env: the image and its start command. */
    image?: { imageName: string; dockerArgs: string };
  } = {},
): EmulatedEndpoint {
  const n = ++counter;
  const { env: given = {}, image, ...rest } = fields;
  const env = given.FLASH_RESOURCE_NAME ? given : { ...LIVE_ENV, ...given };
  const template = emu.registry.saveTemplate({
    id: `tpl${n}${Date.now().toString(36)}`,
    name: `tpl-${n}`,
    imageName: "runpod/flash:test",
    env: Object.entries(env).map(([key, value]) => ({ key, value })),
    containerDiskInGb: 10,
    dockerArgs: "",
    isServerless: true,
    volumeInGb: 0,
    extra: {},
    ...image,
  });
  return emu.registry.saveEndpoint({
    id: `ep${n}${Math.random().toString(36).slice(2, 10)}`,
    name: `endpoint-${n}`,
    templateId: template.id,
    type: "QB",
    gpuIds: "ANY",
    gpuCount: 1,
    instanceIds: [],
    workersMin: 0,
    workersMax: 1,
    idleTimeout: 60,
    scalerType: "QUEUE_DELAY",
    scalerValue: 4,
    executionTimeoutMs: 600_000,
    flashBootType: "FLASHBOOT",
    networkVolumeId: null,
    locations: null,
    flashEnvironmentId: null,
    createdAt: new Date().toISOString(),
    extra: {},
    ...rest,
  });
}

/** A fetch against the emulator with a key. */
export async function call(emu: Emulator, method: string, path: string, body?: unknown, key = "test-key") {
  const res = await fetch(`${emu.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response fields
  return { status: res.status, json: json as Record<string, any>, text };
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `check` until it returns a truthy value (no timing assertions: the test timeout bounds it). */
export async function until<T>(check: () => T | Promise<T>, intervalMs = 50): Promise<NonNullable<T>> {
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** The error a promise rejects with (fails the test if it resolves). */
// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary error fields
export async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected the promise to reject");
}
