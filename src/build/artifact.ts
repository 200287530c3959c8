import { createHash } from "node:crypto";
import { readFile, rename, rm } from "node:fs/promises";
import { FlashError } from "../shared/errors.ts";

/** Where `flash build` writes the artifact, relative to the project root. */
export const ARTIFACT_PATH = ".flash/artifact.tar.gz";

/** RunPod's cap on a Flash artifact. */
export const MAX_ARTIFACT_BYTES = 1500 * 1024 * 1024;

/** The packed artifact. */
export interface PackedArtifact {
  path: string;
  bytes: number;
  /** sha256 of the tarball: equal for equal builds, so deploy can skip uploading an unchanged one. */
  sha256: string;
}

/**
 * Packs `files` (POSIX paths relative to `dir`, in the layout src/runtime/artifact.ts reads) into a
 * gzipped tarball at `path`. The archive is reproducible: files in sorted order, portable headers
 * and a fixed mtime, so building the same project twice gives the same bytes.
 * @throws FlashError PAYLOAD_TOO_LARGE over RunPod's 1500 MB limit
 */
export async function packArtifact(
  dir: string,
  files: readonly string[],
  path: string,
): Promise<PackedArtifact> {
  const { c } = await import("tar");
  const tmp = `${path}.${process.pid}.tmp`;
  await c(
    { gzip: true, file: tmp, cwd: dir, portable: true, mtime: new Date(0), noDirRecurse: true },
    [...files].sort(),
  );
  const bytes = await readFile(tmp);
  if (bytes.byteLength > MAX_ARTIFACT_BYTES) {
    await rm(tmp, { force: true });
    throw new FlashError(
      "PAYLOAD_TOO_LARGE",
      `The build artifact is ${(bytes.byteLength / 1024 / 1024).toFixed(0)} MB; RunPod accepts at most 1500 MB.`,
      { hint: "Declare large packages in remote(config, { dependencies: [...] }) so workers install them." },
    );
  }
  await rename(tmp, path);
  return { path, bytes: bytes.byteLength, sha256: createHash("sha256").update(bytes).digest("hex") };
}
