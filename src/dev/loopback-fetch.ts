import { Agent, request } from "node:http";

/** Keep-alive connections to the embedded emulator, shared by every call of the session. */
const agent = new Agent({ keepAlive: true, maxSockets: 512 });

/**
 * A `fetch` for the embedded emulator (plain HTTP on loopback), made on node:http with keep-alive.
 * The queue client's own code is unchanged (it takes `fetch` as an option); this only replaces
 * the transport, because the global fetch's per-request overhead (streams, abort plumbing) was
 * the largest CPU cost of a local QB call after the socket writes themselves.
 */
export const loopbackFetch = ((input: string | URL, init: RequestInit = {}): Promise<Response> =>
  new Promise((resolve, reject) => {
    const url = new URL(String(input));
    if (url.protocol !== "http:") {
      reject(new TypeError(`loopbackFetch only serves http: URLs, not ${url.protocol}`));
      return;
    }
    const req = request(
      {
        hostname: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method: init.method ?? "GET",
        headers: init.headers as Record<string, string> | undefined,
        agent,
        signal: init.signal ?? undefined,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const text =
            chunks.length === 1 ? (chunks[0] as Buffer).toString() : Buffer.concat(chunks).toString();
          const status = res.statusCode ?? 0;
          const headers = new Headers();
          for (const [key, value] of Object.entries(res.headers)) {
            if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
          }
          // What the queue client reads of a response: ok, status, statusText, headers, text().
          resolve({
            ok: status >= 200 && status < 300,
            status,
            statusText: res.statusMessage ?? "",
            headers,
            text: async () => text,
          } as unknown as Response);
        });
      },
    );
    req.on("error", reject);
    req.end(typeof init.body === "string" ? init.body : undefined);
  })) as typeof fetch;
