import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "smol-toml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { configPath, requireApiKey, resolveApiKey, saveApiKey } from "../../src/cloud/credentials.ts";
import { isFlashError } from "../../src/shared/errors.ts";

let home: string;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), "flash-credentials-"));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

async function writeConfig(text: string): Promise<void> {
  await mkdir(join(home, ".runpod"), { recursive: true });
  await writeFile(configPath(home), text);
}

describe("resolveApiKey", () => {
  it("prefers RUNPOD_API_KEY over the config file", async () => {
    await writeConfig('apikey = "from-file"\n');
    expect(await resolveApiKey({ env: { RUNPOD_API_KEY: " from-env " }, home })).toEqual({
      apiKey: "from-env",
      source: "env",
    });
  });

  it("reads runpodctl's top-level apikey", async () => {
    await writeConfig('apikey = "ctl-key"\napiurl = "https://api.runpod.io/graphql"\n');
    expect(await resolveApiKey({ env: {}, home })).toEqual({
      apiKey: "ctl-key",
      source: "config",
      path: configPath(home),
    });
  });

  it("reads runpod-python's [default] api_key", async () => {
    await writeConfig('[default]\napi_key = "py-key"\n');
    expect((await resolveApiKey({ env: {}, home }))?.apiKey).toBe("py-key");
  });

  it("returns undefined when neither is set, and ignores an empty env var", async () => {
    expect(await resolveApiKey({ env: { RUNPOD_API_KEY: "  " }, home })).toBeUndefined();
    await writeConfig('apiurl = "x"\n');
    expect(await resolveApiKey({ env: {}, home })).toBeUndefined();
  });

  it("reports a file that is not TOML as INVALID_DATA, with the line but not its content", async () => {
    await writeConfig('apikey = "unterminated-secret\n');
    const err = await resolveApiKey({ env: {}, home }).catch((e: unknown) => e);
    expect(isFlashError(err, "INVALID_DATA")).toBe(true);
    expect((err as Error).message).toMatch(/config\.toml is not valid TOML \(line 1\)/);
    expect((err as Error).message).not.toContain("unterminated-secret");
  });
});

describe("requireApiKey", () => {
  it("explains how to set a key when there is none", async () => {
    const err = await requireApiKey({ env: {}, home }).catch((e: unknown) => e);
    expect(isFlashError(err, "RUNPOD_AUTH")).toBe(true);
    expect((err as { hint: string }).hint).toMatch(/RUNPOD_API_KEY.*flash login/s);
  });
});

describe("saveApiKey", () => {
  it("writes ~/.runpod/config.toml with mode 0600 in a 0700 directory, readable by every RunPod tool", async () => {
    const path = await saveApiKey("new-key", { home });
    expect(path).toBe(configPath(home));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, ".runpod"))).mode & 0o777).toBe(0o700);
    const written = parse(await readFile(path, "utf8"));
    expect(written).toEqual({ apikey: "new-key", default: { api_key: "new-key" } });
    expect((await resolveApiKey({ env: {}, home }))?.apiKey).toBe("new-key");
  });

  it("replaces the key and keeps the file's other settings", async () => {
    await writeConfig(
      'apikey = "old"\napiurl = "https://api.runpod.io/graphql"\n[default]\napi_key = "old"\n',
    );
    await saveApiKey("newer", { home });
    const written = parse(await readFile(configPath(home), "utf8"));
    expect(written).toEqual({
      apikey: "newer",
      apiurl: "https://api.runpod.io/graphql",
      default: { api_key: "newer" },
    });
    expect((await stat(configPath(home))).mode & 0o777).toBe(0o600);
  });

  it("tightens a file that was world-readable", async () => {
    await writeConfig('apikey = "old"\n');
    const { chmod } = await import("node:fs/promises");
    await chmod(configPath(home), 0o644);
    await saveApiKey("k2", { home });
    expect((await stat(configPath(home))).mode & 0o777).toBe(0o600);
  });

  it("refuses an empty key", async () => {
    await expect(saveApiKey("  ", { home })).rejects.toThrow(/empty/);
  });
});
