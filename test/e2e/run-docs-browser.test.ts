import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFixture, type FlashProcess, removeDir, runFlash, stopAll } from "../dev/cli-process.ts";

const CHROMIUM = "/usr/bin/chromium";

/** Swagger UI at /docs, driven the way a person uses it: expand a QB route, Try it out, Execute. */
describe("flash run's Swagger UI in headless Chromium", () => {
  let dir: string;
  let flash: FlashProcess;
  let url: string;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    dir = await copyFixture("run-prd");
    flash = runFlash(dir, ["run", "--port", "0", "--no-reload"]);
    url = await flash.url(60_000);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await stopAll();
    await removeDir(dir);
  });

  it("runs a QB function from /docs and shows the COMPLETED output", async () => {
    const page = await browser!.newPage();
    const external: string[] = [];
    page.on("request", (req) => {
      if (!req.url().startsWith(url)) external.push(req.url());
    });
    await page.goto(`${url}/docs`);
    await page.getByText("gpu_worker [QB]").first().waitFor({ timeout: 30_000 });
    const op = page.locator(".opblock", {
      has: page.locator('.opblock-summary-path[data-path="/gpu_worker/run_sync"]'),
    });
    await op.locator(".opblock-summary").click();
    await op.getByRole("button", { name: "Try it out" }).click();
    await op.locator("textarea.body-param__text").fill('{"input": {"prompt": "from the browser"}}');
    await op.getByRole("button", { name: "Execute" }).click();
    const response = op.locator(".live-responses-table .response-col_description pre").first();
    await response.waitFor({ timeout: 30_000 });
    const text = (await response.textContent()) ?? "";
    expect(text).toContain('"COMPLETED"');
    expect(text).toContain("from the browser");
    expect(external).toEqual([]);
    await page.close();
  });
});
