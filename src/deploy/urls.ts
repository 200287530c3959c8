import type { RunpodUrls } from "../cloud/http.ts";
import { deployedJobInput } from "../runtime/wire.ts";
import type { ScannedResource } from "../scan/types.ts";
import type { HttpMethod } from "../sdk/enums.ts";

/**
 * Where a deployed endpoint answers (PRD section 6): QB `https://api.runpod.ai/v2/{id}/run`, LB
 * `https://{id}.api.runpod.ai/{path}` per route; under the emulator `<origin>/v2/{id}/run` and
 * `<origin>/lb/{id}/{path}`.
 */
export function endpointUrls(urls: RunpodUrls, id: string, routes: readonly string[] | undefined): string[] {
  if (routes === undefined) return [`${urls.queue}/${id}/run`];
  return routes.map((path) => `${urls.lb(id)}${path}`);
}

/** One request that calls a deployed endpoint, as `flash deploy` shows it. */
export interface ExampleCall {
  method: HttpMethod;
  url: string;
  /** The JSON body; undefined for GET and DELETE routes. */
  body?: unknown;
}

/**
 * A request that calls one route of a deployed resource: for QB its first function on `/runsync`
 * (RunPod's spelling, which waits for the result) with an empty input in the shape the endpoint
 * expects (`{function, input}` when the file has several functions); for LB its first route without
 * path parameters (else the first, each `{param}` filled with its name in capitals).
 */
export function exampleCall(urls: RunpodUrls, id: string, resource: ScannedResource): ExampleCall {
  if (!resource.isLoadBalanced) {
    const fn = resource.functions[0]!;
    return {
      method: "POST",
      url: `${urls.queue}/${id}/runsync`,
      body: { input: deployedJobInput(fn.name, resource.functions.length, {}) },
    };
  }
  const fn = resource.functions.find((f) => !f.path?.includes("{")) ?? resource.functions[0]!;
  const method = fn.method ?? "POST";
  const path = (fn.path ?? "/").replace(/\{([^}]+)\}/g, (_, name: string) => name.toUpperCase());
  return {
    method,
    url: `${urls.lb(id)}${path}`,
    body: method === "GET" || method === "DELETE" ? undefined : {},
  };
}

/**
 * The call as a `curl` command to paste into a POSIX shell. The key is the shell variable
 * `$RUNPOD_API_KEY`, never its value, so the line can be printed, logged and shared.
 */
export function curlCommand(call: ExampleCall): string {
  const parts = ["curl", "-s"];
  if (call.method !== (call.body === undefined ? "GET" : "POST")) parts.push("-X", call.method);
  parts.push(shellQuote(call.url), "-H", '"Authorization: Bearer $RUNPOD_API_KEY"');
  if (call.body !== undefined) {
    parts.push("-H", "'Content-Type: application/json'", "-d", shellQuote(JSON.stringify(call.body)));
  }
  return parts.join(" ");
}

/** Single-quotes a word for a POSIX shell. */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
