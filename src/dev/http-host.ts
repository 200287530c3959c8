import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { FlashError } from "../shared/errors.ts";
import {
  type AllowedHosts,
  createRequestGuard,
  malformedPathRefusal,
  type RequestGuard,
} from "../shared/request-guard.ts";
import { serveSafely } from "../shared/serve-safely.ts";
import { type ServerTimeouts, timeoutServerOptions } from "../shared/server-timeouts.ts";
import type { RequestListener } from "./dev-app.ts";

/** How many ports after the asked one are tried when it is taken. */
const PORT_ATTEMPTS = 20;

/**
 * The one node:http server of a dev session. Its request listener is swapped on reload, so the
 * socket (and the URL the user has open) stays while the routes change.
 */
export class HttpHost {
  readonly server: Server;
  private listener: RequestListener;
  private readonly allowedHosts: AllowedHosts | undefined;
  /** Host and Origin check; set by {@link listen}, which knows the bound host. */
  private guard: RequestGuard = () => undefined;

  /** @param routes serves every request that passes the Host and Origin checks */
  constructor(
    routes: RequestListener,
    options: {
      allowedHosts?: AllowedHosts;
      timeouts?: ServerTimeouts;
      /** Told about a request whose serving failed (it was answered 500). */
      onError?: (err: unknown, req: IncomingMessage) => void;
      /** When set (`--verbose`), one line per answered request: method, path, status, milliseconds. */
      requestLog?: (line: string) => void;
    } = {},
  ) {
    this.listener = routes;
    this.allowedHosts = options.allowedHosts;
    const requestLog = options.requestLog;
    const listener = (req: IncomingMessage, res: ServerResponse) => {
      const url = req.url ?? "/";
      if (requestLog) {
        const started = performance.now();
        res.once("finish", () =>
          requestLog(`${req.method} ${url} ${res.statusCode} ${(performance.now() - started).toFixed(1)} ms`),
        );
      }
      const refused = this.guard(req) ?? malformedPathRefusal(pathOf(url));
      if (refused) {
        req.resume();
        const body = JSON.stringify({ error: refused.message });
        res.writeHead(refused.status, {
          "content-type": "application/json; charset=utf-8",
          "content-length": Buffer.byteLength(body),
        });
        res.end(body);
        return;
      }
      return this.listener(req, res);
    };
    // One failed request answers 500; it never takes the session (and its live endpoints) down.
    this.server = createServer(
      timeoutServerOptions(options.timeouts),
      serveSafely(listener, { label: "dev server error", onError: options.onError }),
    );
    this.server.keepAliveTimeout = 65_000;
  }

  /** Serves the next requests with a new app; requests already running finish on the old one. */
  swap(routes: RequestListener): void {
    this.listener = routes;
  }

  /**
   * Listens on `port`, or on the next free one when it is taken.
   * @returns the port listened on
   * @throws FlashError USAGE when no port in the range is free or the host cannot be bound
   */
  async listen(host: string, port: number): Promise<number> {
    this.guard = createRequestGuard({ boundHost: host, allowedHosts: this.allowedHosts });
    for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
      const candidate = port === 0 ? 0 : port + attempt;
      try {
        await new Promise<void>((resolve, reject) => {
          const onError = (err: Error) => {
            this.server.off("listening", onListening);
            reject(err);
          };
          const onListening = () => {
            this.server.off("error", onError);
            resolve();
          };
          this.server.once("error", onError);
          this.server.once("listening", onListening);
          this.server.listen(candidate, host);
        });
        return (this.server.address() as AddressInfo).port;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== "EADDRINUSE" || port === 0) {
          throw new FlashError("USAGE", `cannot listen on ${host}:${candidate}: ${(err as Error).message}`);
        }
      }
    }
    throw new FlashError(
      "USAGE",
      `ports ${port}–${port + PORT_ATTEMPTS - 1} on ${host} are all taken; pass a free one with --port.`,
    );
  }

  /** Stops accepting connections and closes idle keep-alive sockets. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      setTimeout(() => this.server.closeAllConnections(), 1000).unref();
    });
  }
}

function pathOf(url: string): string {
  const q = url.indexOf("?");
  return q === -1 ? url : url.slice(0, q);
}
