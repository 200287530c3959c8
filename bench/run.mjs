// `npm run bench`: every benchmark, each beside its baseline measured in the same run.
import { printReport } from "./report.mjs";
import { benchScan } from "./scan.mjs";

const sections = [await benchScan()];
for (const extra of ["./worker.mjs", "./devserver.mjs", "./build.mjs", "./artifacts.mjs"]) {
  try {
    const mod = await import(extra);
    if (typeof mod.bench === "function") sections.push(...[await mod.bench()].flat());
  } catch (err) {
    if (err?.code !== "ERR_MODULE_NOT_FOUND") throw err;
  }
}
printReport(sections);
