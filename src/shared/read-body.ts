import type { IncomingMessage } from "node:http";

/**
 * A request's body, or `tooLarge` when it exceeded `limit` bytes. Past the limit the rest is read
 * and dropped, so the caller can still answer 413 on the same connection; far past it (4×) the
 * request is destroyed rather than drained. A request that ends early (the client went away, the
 * connection broke) resolves with an empty body and `req.complete` false: it never rejects, so a
 * handler neither waits forever nor throws where nothing catches it.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<{ body: Buffer; tooLarge: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
      else if (size > limit * 4) req.destroy();
    });
    req.on("end", () =>
      resolve({ body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), tooLarge: size > limit }),
    );
    const ended = () => resolve({ body: Buffer.alloc(0), tooLarge: size > limit });
    req.on("close", () => {
      if (!req.complete) ended();
    });
    req.on("error", ended);
  });
}
