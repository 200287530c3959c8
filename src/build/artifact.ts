import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { readFile, rename, rm } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
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

/** The tar options every part of an artifact is written with: reproducible, portable headers. */
const TAR_OPTIONS = { portable: true, mtime: new Date(0), noDirRecurse: true } as const;

/**
 * Packs `files` (POSIX paths relative to `dir`, in the layout src/runtime/artifact.ts reads) into a
 * gzipped tarball at `path`. The archive is reproducible: files in sorted order, portable headers
 * and a fixed mtime, so building the same project twice gives the same bytes.
 *
 * `leading` are files made by {@link packLeadingMember}, written first as they are. gzip allows a
 * file of several members and tar reads their concatenation as one archive, so a large file that
 * every build carries unchanged (the carried Node) is compressed once per machine, not per build.
 * @throws FlashError PAYLOAD_TOO_LARGE over RunPod's 1500 MB limit
 */
export async function packArtifact(
  dir: string,
  files: readonly string[],
  path: string,
  leading: readonly string[] = [],
): Promise<PackedArtifact> {
  const { c } = await import("tar");
  const tmp = `${path}.${process.pid}.tmp`;
  const parts = await Promise.all(leading.map((f) => readFile(f)));
  const rest = c({ ...TAR_OPTIONS, gzip: true, cwd: dir }, [...files].sort());
  const out = createWriteStream(tmp);
  for (const part of parts) out.write(part);
  await pipeline(rest, out);
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

/**
 * Writes to `dest` one gzip member holding the tar entry of `relPath` (under `dir`) without tar's
 * end-of-archive blocks, for {@link packArtifact}'s `leading`: a reader that meets end-of-archive
 * stops, so only the last part of an artifact may have one.
 */
export async function packLeadingMember(dir: string, relPath: string, dest: string): Promise<void> {
  const { c } = await import("tar");
  const chunks: Buffer[] = [];
  for await (const chunk of c({ ...TAR_OPTIONS, cwd: dir }, [relPath]) as AsyncIterable<Buffer>)
    chunks.push(chunk);
  const tar = Buffer.concat(chunks);
  const END = 1024;
  if (tar.byteLength < 512 + END || tar.subarray(tar.byteLength - END).some((b) => b !== 0)) {
    throw new Error(`unexpected tar layout for ${relPath}: no end-of-archive blocks`);
  }
  const tmp = `${dest}.${process.pid}.tmp`;
  const gzip = createGzip();
  const done = pipeline(gzip, createWriteStream(tmp));
  gzip.end(tar.subarray(0, tar.byteLength - END));
  await done;
  await rename(tmp, dest);
}
