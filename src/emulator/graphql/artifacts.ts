import { timingSafeEqual } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rm, stat, writeFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
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
    const url = new URL(req.url ?? "/", "http://emulator");
    const isUpload = url.pathname.startsWith(ARTIFACT_ROUTES.upload);
    const isDownload = url.pathname.startsWith(ARTIFACT_ROUTES.download);
    if (!isUpload && !isDownload) return false;
    const prefix = isUpload ? ARTIFACT_ROUTES.upload : ARTIFACT_ROUTES.download;
    const objectKey = decodeURIComponent(url.pathname.slice(prefix.length));
    const slot = store.artifacts.get(objectKey);

    if (!slot) return reply(res, 404, "NoSuchKey", "The specified key does not exist.");
    if (!tokenMatches(slot, url.searchParams.get("token"))) {
      return reply(res, 403, "AccessDenied", "The request signature does not match.");
    }
    if (isUpload) {
      if (req.method !== "PUT") return reply(res, 405, "MethodNotAllowed", "Use PUT to upload.");
      if (slot.expiresAt.getTime() < Date.now()) {
        return reply(res, 403, "AccessDenied", "Request has expired.");
      }
      await receive(store.artifactDir, slot, req, res, body);
      return true;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      return reply(res, 405, "MethodNotAllowed", "Use GET to download.");
    }
    if (!slot.path) return reply(res, 404, "NoSuchKey", "The artifact has not been uploaded.");
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
  let size = 0;
  try {
    if (body) {
      size = body.byteLength;
      if (size !== slot.declaredSize) return sizeMismatch(res, slot, size);
      await writeFile(path, body);
    } else {
      // Stop reading as soon as the upload outgrows what was declared (a presigned URL signs the size).
      const limit = new Transform({
        transform(chunk: Buffer, _enc, done) {
          size += chunk.byteLength;
          done(size > slot.declaredSize ? new SizeError() : null, chunk);
        },
      });
      await pipeline(req, limit, createWriteStream(path));
      if (size !== slot.declaredSize) {
        await rm(path, { force: true });
        return sizeMismatch(res, slot, size);
      }
    }
  } catch (err) {
    await rm(path, { force: true });
    if (err instanceof SizeError) return sizeMismatch(res, slot, size);
    throw err;
  }
  slot.path = path;
  slot.size = (await stat(path)).size;
  res.writeHead(200, { etag: `"${slot.objectKey}"` });
  res.end();
}

class SizeError extends Error {}

function sizeMismatch(res: ServerResponse, slot: ArtifactSlot, size: number): void {
  reply(res, 400, "BadDigest", `Expected ${slot.declaredSize} bytes (tarballSize), received ${size}.`);
}

function tokenMatches(slot: ArtifactSlot, token: string | null): boolean {
  if (!token) return false;
  const a = Buffer.from(token);
  const b = Buffer.from(slot.token);
  return a.length === b.length && timingSafeEqual(a, b);
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
