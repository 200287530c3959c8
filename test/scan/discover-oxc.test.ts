// The discovery tests again, with every file parsed by oxc instead of the quick parser: both
// paths must give the same resources, warnings and errors.
import { vi } from "vitest";

vi.mock("../../src/scan/index.ts", async (importOriginal) => {
  const scan = await importOriginal<typeof import("../../src/scan/index.ts")>();
  return {
    ...scan,
    scanProject: (root: string, options: import("../../src/scan/index.ts").ScanOptions = {}) =>
      scan.scanProject(root, { ...options, quick: false }),
  };
});

await import("./discover.test.ts");
