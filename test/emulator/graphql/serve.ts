import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  createGraphqlHandler,
  createUploadHandler,
  flashStoreOf,
} from "../../../src/emulator/graphql/index.ts";
import { Registry } from "../../../src/emulator/registry.ts";

/**
 * A minimal node:http server mounting only the control plane (GraphQL + artifact routes), so these
 * tests do not depend on the full emulator server. `faults` lets a test make the next requests fail
 * the way a flaky RunPod would: an HTTP status, or a dropped connection.
 */
export type Fault = number | "drop" | { graphqlError: string };

export interface ControlPlaneServer {
  origin: string;
  registry: Registry;
  warnings: string[];
  /** Faults applied to the next requests, one per request, in order. */
  faults: Fault[];
  /** Every request seen: method, path, and the GraphQL operation name when there is one. */
  requests: { method: string; path: string; operation?: string }[];
  close: () => Promise<void>;
}

/**
 * `streamUploads`: hand artifact requests to the handler unread, as the emulator server does, instead
 * of passing the body already read.
 */
export async function startControlPlane(
  options: { apiKey?: string; streamUploads?: boolean } = {},
): Promise<ControlPlaneServer> {
  const registry = new Registry();
  const warnings: string[] = [];
  let origin = "";
  const graphql = createGraphqlHandler(registry, {
    apiKey: options.apiKey,
    origin: () => origin,
    onWarning: (m) => warnings.push(m),
  });
  const artifacts = createUploadHandler(registry);
  const state: ControlPlaneServer = {
    origin: "",
    registry,
    warnings,
    faults: [],
    requests: [],
    close: async () => {},
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const fault = state.faults.shift();
    if (options.streamUploads && path !== "/graphql") {
      state.requests.push({ method: req.method ?? "", path });
      void artifacts(req, res).then((handled) => {
        if (!handled) res.writeHead(404).end();
      });
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      let operation: string | undefined;
      if (path === "/graphql") {
        try {
          const parsed = JSON.parse(body.toString()) as { query?: string };
          operation = parsed.query?.match(/^\s*(?:query|mutation)\s+(\w+)/)?.[1];
        } catch {}
      }
      state.requests.push({ method: req.method ?? "", path, operation });
      if (fault === "drop") {
        req.socket.destroy();
        return;
      }
      if (typeof fault === "object") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ data: null, errors: [{ message: fault.graphqlError }] }));
        return;
      }
      if (typeof fault === "number") {
        res.writeHead(fault, { "content-type": "application/json" });
        res.end(JSON.stringify({ errors: [{ message: `injected ${fault}` }] }));
        return;
      }
      void (async () => {
        if (path === "/graphql") return graphql(req, res, body);
        if (await artifacts(req, res, body)) return;
        res.writeHead(404).end();
      })().catch((err: unknown) => {
        res.writeHead(500).end(String(err));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.origin = origin;
  state.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    flashStoreOf(registry).close();
  };
  return state;
}

/** POSTs a raw GraphQL document; returns status and parsed body. */
export async function gql(
  origin: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = { authorization: "Bearer test-key" },
): Promise<{
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; path?: unknown[] }[] };
}> {
  const res = await fetch(`${origin}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as never };
}

/** The `data[name]` of a successful response; throws (failing the test) with the errors otherwise. */
export function dataOf<T = { id: string }>(
  res: { body: { data?: Record<string, unknown> | null; errors?: unknown } },
  name: string,
): T {
  const value = res.body.data?.[name];
  if (value === undefined || value === null) throw new Error(`no ${name} in ${JSON.stringify(res.body)}`);
  return value as T;
}
