import { connectControlPlane } from "../../cloud/control-plane.ts";
import { saveApiKey } from "../../cloud/credentials.ts";
import { FlashError } from "../../shared/errors.ts";

/**
 * `flash login [--api-key KEY] [--no-verify]`: stores the RunPod API key in
 * `~/.runpod/config.toml` (mode 0600, the file RunPod's other tools read). The key comes from
 * `--api-key` or stdin (typed without echo on a terminal, or piped); it is checked against the
 * control plane first unless `--no-verify`, and never printed.
 */
export async function loginCommand(opts: { apiKey?: string; verify?: boolean }): Promise<void> {
  const key = (opts.apiKey ?? (await readKey())).trim();
  if (!key)
    throw new FlashError("USAGE", "No API key given.", {
      hint: "Pipe it in, type it when asked, or pass --api-key.",
    });
  if (opts.verify !== false) {
    const cp = await connectControlPlane({ apiKey: key });
    await cp.whoami();
  }
  const path = await saveApiKey(key);
  process.stdout.write(`Saved the API key to ${path} (readable only by you).\n`);
}

async function readKey(): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    let text = "";
    for await (const chunk of stdin) text += chunk;
    return text.split(/\r?\n/)[0] ?? "";
  }
  // A terminal: read with echo off, so the key never shows on screen or in scrollback.
  process.stdout.write("RunPod API key (input hidden): ");
  stdin.setRawMode(true);
  stdin.setEncoding("utf8");
  stdin.resume();
  return new Promise((resolve, reject) => {
    let key = "";
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") return done();
        if (ch === "\u0003") {
          done();
          return reject(new FlashError("ABORTED", "Login cancelled."));
        }
        if (ch === "\u007f" || ch === "\b") key = key.slice(0, -1);
        else key += ch;
      }
    };
    const done = () => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stdout.write("\n");
      resolve(key);
    };
    stdin.on("data", onData);
  });
}
