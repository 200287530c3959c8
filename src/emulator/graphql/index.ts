import type { IncomingMessage, ServerResponse } from "node:http";
import {
  buildSchema,
  type DocumentNode,
  execute,
  GraphQLError,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  parse,
  validate,
} from "graphql";
import { keyAccepted, keyOf } from "../http-util.ts";
import { isFlashWorkerImage } from "../images.ts";
import type { Registry } from "../registry.ts";
import type { ResolverContext } from "./context.ts";
import { EMULATOR_USER_ID } from "./context.ts";
import * as endpoints from "./endpoint-resolvers.ts";
import * as flash from "./flash-resolvers.ts";
import { flashStoreOf } from "./flash-store.ts";
import { gpuTypes } from "./gpu-resolvers.ts";
import { checkInputBounds } from "./input-bounds.ts";
import { checkDocumentText, checkSelections, GRAPHQL_LIMITS } from "./limits.ts";
import { typeDefs } from "./schema.ts";
import * as volumes from "./volume-resolvers.ts";

/**
 * The emulator's control plane: RunPod's GraphQL API (`POST /graphql`) over the in-memory registry,
 * executed by graphql-js against a real schema. Errors come back as RunPod sends them: HTTP 200 with
 * `errors: [{ message, path }]` for a failed operation, 400 for a document that does not parse or
 * validate or is over a size limit (limits.ts), 401 for a missing or wrong API key.
 */

export { isFlashWorkerImage } from "../images.ts";
export { ARTIFACT_ROUTES, type ArtifactHandler, createUploadHandler } from "./artifacts.ts";
export { type FlashStore, flashStoreOf } from "./flash-store.ts";

export interface GraphqlHandlerOptions {
  /** When set, only this key is accepted; otherwise any non-empty key is (SPEC 6). */
  apiKey?: string;
  /** The emulator's origin (`http://127.0.0.1:8787`), for the upload and download URLs it hands out. */
  origin: () => string;
  /** Called with each new warning (e.g. an image the emulator cannot run), for the server to log. */
  onWarning?: (message: string) => void;
  /** Which images the emulator runs (no warning). Defaults to {@link isFlashWorkerImage}. */
  isKnownImage?: (imageName: string) => boolean;
}

/** A request handler for `POST /graphql`; `body` is the raw request body. */
export type GraphqlHandler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<void>;

let cachedSchema: GraphQLSchema | undefined;

/** The emulator's GraphQL schema (built once per process). */
export function emulatorSchema(): GraphQLSchema {
  cachedSchema ??= buildSchema(typeDefs);
  return cachedSchema;
}

/** Creates the `POST /graphql` handler over `registry`. */
export function createGraphqlHandler(registry: Registry, options: GraphqlHandlerOptions): GraphqlHandler {
  const schema = emulatorSchema();
  const store = flashStoreOf(registry);
  const context: ResolverContext = {
    registry,
    store,
    origin: options.origin,
    isKnownImage: options.isKnownImage ?? isFlashWorkerImage,
    warn: (message) => {
      const isNew = !store.warnings.includes(message);
      store.warn(message);
      if (isNew) options.onWarning?.(message);
    },
  };
  const rootValue = withInputBounds(createRootValue(context));

  return async (req, res, body) => {
    if (!authorized(req, options.apiKey)) {
      return send(res, 401, {
        errors: [{ message: "Unauthorized: a valid API key is required (Authorization: Bearer <key>)" }],
      });
    }
    if (req.method !== "POST")
      return send(res, 405, { errors: [{ message: "Use POST for GraphQL requests" }] });

    let request: { query?: unknown; variables?: unknown; operationName?: unknown };
    try {
      request = JSON.parse(body.toString("utf8") || "null") ?? {};
    } catch {
      return send(res, 400, { errors: [{ message: "Request body is not valid JSON" }] });
    }
    if (typeof request !== "object" || typeof request.query !== "string") {
      return send(res, 400, {
        errors: [{ message: "Request body must be a JSON object with a query string" }],
      });
    }
    const variables =
      request.variables && typeof request.variables === "object"
        ? (request.variables as Record<string, unknown>)
        : undefined;
    const refused = (error: GraphQLError) => send(res, 400, { errors: [error.toJSON()] });
    // Measured before parsing, the parsed document before validating: both are loops that never
    // recurse, so no request can make the parser or a validation rule overflow the stack or stall.
    const tooBig = checkDocumentText(request.query);
    if (tooBig) return refused(tooBig);
    let document: DocumentNode;
    try {
      document = parse(request.query, { maxTokens: GRAPHQL_LIMITS.tokens });
    } catch (err) {
      if (err instanceof GraphQLError) return refused(err);
      throw err;
    }
    const tooMany = checkSelections(document);
    if (tooMany) return refused(tooMany);
    const invalid = validate(schema, document);
    // A document that does not validate is a client bug, reported as 400 (as RunPod does).
    if (invalid.length > 0) return send(res, 400, { errors: invalid.map((e) => e.toJSON()) });
    const result = await execute({
      schema,
      document,
      rootValue,
      contextValue: context,
      variableValues: variables,
      operationName: typeof request.operationName === "string" ? request.operationName : undefined,
    });
    // No `data` key: the variables or operation name do not fit the document, a client bug too.
    send(res, "data" in result ? 200 : 400, {
      ...(result.errors ? { errors: result.errors.map((e) => e.toJSON()) } : {}),
      ...("data" in result ? { data: result.data } : {}),
    });
  };
}

/** Root fields: each resolver receives (args, context) from graphql-js's default field resolver. */
function createRootValue(ctx: ResolverContext): Record<string, (args: never) => unknown> {
  return {
    // Queries
    myself: () => ({
      id: EMULATOR_USER_ID,
      email: "emulator@localhost",
      pubKey: null,
      endpoints: () => [...ctx.registry.endpoints.values()].map((e) => endpoints.endpointView(ctx, e)),
      endpoint: ({ id }: { id: string }) => {
        const e = ctx.registry.endpoints.get(id);
        return e ? endpoints.endpointView(ctx, e) : null;
      },
      podTemplates: () => [...ctx.registry.templates.keys()].map((id) => endpoints.podTemplate(ctx, id)),
      serverlessDiscount: null,
      flashApps: () => flash.listFlashApps(ctx),
      networkVolumes: () => volumes.listNetworkVolumes(ctx),
    }),
    podTemplate: ({ id }: { id: string }) => endpoints.podTemplate(ctx, id),
    flashApp: ({ flashAppId }: { flashAppId: string }) => flash.flashApp(ctx, flashAppId),
    flashAppByName: ({ flashAppName }: { flashAppName: string }) => flash.flashAppByName(ctx, flashAppName),
    flashEnvironment: ({ flashEnvironmentId }: { flashEnvironmentId: string }) =>
      flash.flashEnvironment(ctx, flashEnvironmentId),
    flashEnvironmentByName: ({ input }: { input: { flashAppId: string; name: string } }) =>
      flash.flashEnvironmentByName(ctx, input),
    flashBuild: ({ flashBuildId }: { flashBuildId: string }) => flash.flashBuild(ctx, flashBuildId),
    gpuTypes: ({ input }: { input?: Parameters<typeof gpuTypes>[0] }) => gpuTypes(input),

    // Mutations
    saveTemplate: ({ input }: { input: Parameters<typeof endpoints.saveTemplate>[1] }) =>
      endpoints.saveTemplate(ctx, input),
    deleteTemplate: ({ templateName }: { templateName: string | null }) =>
      endpoints.deleteTemplate(ctx, templateName),
    saveEndpoint: ({ input }: { input: Parameters<typeof endpoints.saveEndpoint>[1] }) =>
      endpoints.saveEndpoint(ctx, input),
    deleteEndpoint: ({ id }: { id: string }) => endpoints.deleteEndpoint(ctx, id),
    updateEndpointTemplate: ({ input }: { input: { endpointId: string; templateId: string } }) =>
      endpoints.updateEndpointTemplate(ctx, input),
    createFlashApp: ({ input }: { input: { name: string } }) => flash.createFlashApp(ctx, input),
    deleteFlashApp: ({ flashAppId }: { flashAppId: string }) => flash.deleteFlashApp(ctx, flashAppId),
    createFlashEnvironment: ({ input }: { input: { flashAppId: string; name: string } }) =>
      flash.createFlashEnvironment(ctx, input),
    deleteFlashEnvironment: ({ flashEnvironmentId }: { flashEnvironmentId: string }) =>
      flash.deleteFlashEnvironment(ctx, flashEnvironmentId),
    prepareFlashArtifactUpload: ({ input }: { input: { flashAppId: string; tarballSize: number } }) =>
      flash.prepareFlashArtifactUpload(ctx, input),
    finalizeFlashArtifactUpload: ({
      input,
    }: {
      input: { flashAppId: string; objectKey: string; manifest?: unknown };
    }) => flash.finalizeFlashArtifactUpload(ctx, input),
    updateFlashBuildManifest: ({ input }: { input: { flashBuildId: string; manifest?: unknown } }) =>
      flash.updateFlashBuildManifest(ctx, input),
    createNetworkVolume: ({ input }: { input: { name: string; size: number; dataCenterId: string } }) =>
      volumes.createNetworkVolume(ctx, input),
    deployBuildToEnvironment: ({ input }: { input: { flashEnvironmentId: string; flashBuildId: string } }) =>
      flash.deployBuildToEnvironment(ctx, input),
  };
}

/**
 * The root fields with their arguments checked against {@link checkInputBounds} first (graphql-js's
 * default resolver calls a root value's function with args, context and info).
 */
function withInputBounds(
  root: Record<string, (args: never) => unknown>,
): Record<string, (args: never, context: unknown, info: GraphQLResolveInfo) => unknown> {
  return Object.fromEntries(
    Object.entries(root).map(([name, fn]) => [
      name,
      (args: never, _context: unknown, info: GraphQLResolveInfo) => {
        checkInputBounds(args as Record<string, unknown>, info);
        return fn(args);
      },
    ]),
  );
}

/** Bearer header (or a bare key) or `api_key` query parameter (RunPod accepts both), read as every surface reads it. */
function authorized(req: IncomingMessage, expected: string | undefined): boolean {
  const query = new URL(req.url ?? "/", "http://emulator").searchParams;
  return keyAccepted(keyOf(req.headers.authorization, query), expected);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
