/** Writes the benchmark project under `dir` and returns its shape. */
export function generateProject(
  dir: string,
  options?: { files?: number; totalBytes?: number },
): Promise<{ files: number; bytes: number; functions: number }>;
