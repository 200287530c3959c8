import { describe, expect, it } from "vitest";
import { runFlash } from "../helpers/cli.ts";

// README: 0 success, 1 a problem with the project or a remote call, 2 a usage error.
describe("exit codes", () => {
  it.each([
    [["nosuch"], "error: unknown command 'nosuch'"],
    [["run", "--bogus"], "error: unknown option '--bogus'"],
    [["run", "--live", "--local"], "error: option '--local' cannot be used with option '--live'"],
    [["emulator", "--port"], "error: option '--port <port>' argument missing"],
  ])("flash %j is a usage error: exit 2 with the message", async (args, message) => {
    const r = await runFlash(args);
    expect(r.stderr).toContain(message);
    expect(r.code).toBe(2);
  });

  it("--help and --version exit 0", async () => {
    for (const args of [["--help"], ["--version"], ["run", "--help"]]) {
      expect((await runFlash(args)).code, args.join(" ")).toBe(0);
    }
  });
});
