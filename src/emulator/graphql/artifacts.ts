import { createReadStream, createWriteStream } from "node:fs";
import { rename, rm, writeFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { secretMatches } from "../../shared/secret-compare.ts";
import type { Registry } from "../registry.ts";
import { type ArtifactSlot, flashStoreOf } from "./flash-store.ts";

/**
 * The emulator's stand-in for RunPod's presigned artifact URLs:
 * - `PUT /upload/{objectKey}?token=...` stores a build tarball (the URL `prepareFlashArtifactUpload`
 *   returns; like a presigned URL it carries its own auth, no API key);
 * - `GET /artifacts/{objectKey}?token=...` serves it back (`activeArtifact.downloadUrl`).
 * Bytes are written to the flash store's temp directory, where local workers read them directly.
 */

/** Path prefixes the artifact handler serves; mount both on the emulator origin. */
export const ARTIFACT_ROUTES = { upload: "/upload/", download: "/artifacts/" } as const;

/**
 * Handles an artifact upload or download. Resolves true when it answered the request, false when the
 * path is not one of {@link ARTIFACT_ROUTES} (the caller then routes it elsewhere).
 * Pass `body` when the framework has already read the request body; otherwise the request is streamed.
 */
export type ArtifactHandler = (req: IncomingMessage, res: ServerResponse, body?: Buffer) => Promise<boolean>;

/** Creates the handler for `PUT /upload/...` and `GET /artifacts/...`, backed by the registry's flash store. */
export function createUploadHandler(registry: Registry): ArtifactHandler {
  const store = flashStoreOf(registry);
  return async (req, res, body) => {
    const raw = req.url ?? "/";
    // Only these prefixes are parsed: `new URL` throws on other paths (`//` reads as a host).
    if (!raw.startsWith(ARTIFACT_ROUTES.upload) && !raw.startsWith(ARTIFACT_ROUTES.download)) return false;
    const url = new URL(raw, "http://emulator");
    const isUpload = url.pathname.startsWith(ARTIFACT_ROUTES.upload);
    const isDownload = url.pathname.startsWith(ARTIFACT_ROUTES.download);
    if (!isUpload && !isDownload) return false;
    const prefix = isUpload ? ARTIFACT_ROUTES.upload : ARTIFACT_ROUTES.download;
    const objectKey = decodeURIComponent(url.pathname.slice(prefix.length));
    const slot = store.artifacts.get(objectKey);
    // A refusal leaves the body unread: drain it so the client sees the answer, not a reset.
    const refuse = (status: number, code: string, message: string): true => {
      if (!body) req.resume();
      return reply(res, status, code, message);
    };

    if (!slot) return refuse(404, "NoSuchKey", "The specified key does not exist.");
    if (!tokenMatches(slot, url.searchParams.get("token"))) {
      return refuse(403, "AccessDenied", "The request signature does not match.");
    }
    if (isUpload) {
      if (req.method !== "PUT") return refuse(405, "MethodNotAllowed", "Use PUT to upload.");
      if (slot.expiresAt.getTime() < Date.now()) {
        return refuse(403, "AccessDenied", "Request has expired.");
      }
      await receive(store.artifactDir, slot, req, res, body);
      return true;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      return refuse(405, "MethodNotAllowed", "Use GET to download.");
    }
    if (!slot.path) return refuse(404, "NoSuchKey", "The artifact has not been uploaded.");
    res.writeHead(200, { "content-type": "application/gzip", "content-length": String(slot.size ?? 0) });
    if (req.method === "HEAD") {
      res.end();
      return true;
    }
    await pipeline(createReadStream(slot.path), res);
    return true;
  };
}

async function receive(
  dir: string,
  slot: ArtifactSlot,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer | undefined,
): Promise<void> {
  const path = join(dir, slot.objectKey.replace(/[^\w.-]/g, "_"));
  // Written beside the final path and renamed: a failed retry never clobbers a good upload.
  const partial = `${path}.${process.hrtime.bigint()}.part`;
  let size = 0;
  try {
    if (body) {
      size = body.byteLength;
      if (size === slot.declaredSize) await writeFile(partial, body);
    } else {
      // Past the declared size (a presigned URL signs it) bytes are counted but not stored; the body is
      // still drained so the client reads the 400 instead of a reset connection. A client that keeps
      // going far past the size is cut off.
      const limit = new Transform({
        transform(chunk: Buffer, _enc, done) {
          size += chunk.byteLength;
          if (size > slot.declaredSize + DRAIN_SLACK_BYTES)
            return done(new Error("upload far over its size"));
          done(null, size > slot.declaredSize ? undefined : chunk);
        },
      });
      await pipeline(req, limit, createWriteStream(partial));
    }
    if (size !== slot.declaredSize) {
      await rm(partial, { force: true });
      reply(res, 400, "BadDigest", `Expected ${slot.declaredSize} bytes (tarballSize), received ${size}.`);
      return;
    }
    await rename(partial, path);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
  slot.path = path;
  slot.size = size;
  res.writeHead(200, { etag: `"${slot.objectKey}"` });
  res.end();
}

/** How far past its declared size an upload is drained before the connection is dropped. */
const DRAIN_SLACK_BYTES = 16 * 1024 * 1024;

function tokenMatches(slot: ArtifactSlot, token: string | null): boolean {
  return secretMatches(token, slot.token);
}

/** An S3-style XML error, as a presigned-URL client would see from RunPod's object storage. */
function reply(res: ServerResponse, status: number, code: string, message: string): true {
  if (res.headersSent) {
    res.destroy();
    return true;
  }
  res.writeHead(status, { "content-type": "application/xml", connection: "close" });
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
  );
  return true;
}
