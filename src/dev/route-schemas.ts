import type { FastifySchema } from "fastify";
import type { DevRoute, LbRoute, QbRoute } from "./routes.ts";

/** The Swagger tag of a route: its file path without extension and its type, e.g. `api/routes [LB]`. */
export function tagOf(route: DevRoute): string {
  const name = route.resource.urlPrefix.slice(1);
  return `${name} [${route.resource.isLoadBalanced ? "LB" : "QB"}]`;
}

/** `{name}` segments of a route path. */
export function pathParamsOf(path: string): string[] {
  return [...path.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1] as string);
}

/** The OpenAPI description of a route, as Swagger UI shows it. */
export function schemaOf(route: DevRoute): FastifySchema & Record<string, unknown> {
  if (route.kind === "qb") return qbSchema(route);
  if (route.kind === "lb") return lbSchema(route);
  return {
    tags: [tagOf(route)],
    summary: "Status of a job of this session",
    hide: true,
    params: { type: "object", properties: { id: { type: "string" } } },
  };
}

function qbSchema(route: QbRoute): FastifySchema & Record<string, unknown> {
  return {
    tags: [tagOf(route)],
    summary: `${route.fn.name}() — ${route.resource.file}:${route.fn.at.line}`,
    description: `Runs \`${route.fn.name}\` as a job of \`${route.resource.resourceName}\` and waits for its output. The body is RunPod's envelope, \`{"input": ...}\`; a JSON object without an \`input\` key is taken as the input itself.`,
    hide: route.operation === "runsync",
    body: {
      type: "object",
      properties: { input: { description: `The input of ${route.fn.name}()` } },
      example: { input: {} },
    },
    response: {
      200: {
        description: "The job completed",
        type: "object",
        properties: {
          id: { type: "string" },
          status: { type: "string", enum: ["COMPLETED"] },
          output: {},
        },
      },
      500: {
        description: "The function threw, or the job did not complete",
        type: "object",
        properties: { id: { type: "string" }, status: { type: "string" }, error: { type: "string" } },
      },
    },
  };
}

function lbSchema(route: LbRoute): FastifySchema & Record<string, unknown> {
  const params = pathParamsOf(route.path);
  const usesQuery = route.method === "GET" || route.method === "DELETE";
  return {
    tags: [tagOf(route)],
    summary: `${route.fn.name}() — ${route.resource.file}:${route.fn.at.line}`,
    description: usesQuery
      ? "Runs the handler in the dev server; the query string is its input."
      : "Runs the handler in the dev server; the JSON body is its input.",
    ...(params.length > 0
      ? {
          params: {
            type: "object",
            properties: Object.fromEntries(params.map((p) => [p, { type: "string" }])),
            required: params,
          },
        }
      : {}),
    ...(usesQuery ? {} : { body: { type: "object", example: {} } }),
  };
}
