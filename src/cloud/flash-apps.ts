import { z } from "zod";
import {
  type FlashAppRecord,
  FlashAppSchema,
  type FlashEnvironmentRecord,
  FlashEnvironmentSchema,
} from "../shared/schemas/control-plane.ts";
import { type GraphqlClient, GraphqlRequestError, mutation, query } from "./graphql-client.ts";

/**
 * Flash apps and their environments, with the operation names RunPod's Python Flash uses. An app
 * groups a project's builds; an environment (`production` by default) has one active build and the
 * endpoints deployed from it (bound by `flashEnvironmentId` on `saveEndpoint`).
 */

const ENV_FIELDS = "id name state activeBuildId createdAt";
const APP_FIELDS = `id name flashEnvironments { ${ENV_FIELDS} } flashBuilds { id objectKey createdAt }`;

const listFlashAppsQuery = query(
  "getFlashApps",
  `query getFlashApps { myself { flashApps { ${APP_FIELDS} } } }`,
  z.object({ myself: z.object({ flashApps: z.array(FlashAppSchema).nullish() }) }),
);

const getFlashAppQuery = query(
  "getFlashApp",
  `query getFlashApp($input: String!) { flashApp(flashAppId: $input) { ${APP_FIELDS} } }`,
  z.object({ flashApp: FlashAppSchema.nullish() }),
);

const getFlashAppByNameQuery = query(
  "getFlashAppByName",
  `query getFlashAppByName($flashAppName: String!) { flashAppByName(flashAppName: $flashAppName) { ${APP_FIELDS} } }`,
  z.object({ flashAppByName: FlashAppSchema.nullish() }),
);

const createFlashAppMutation = mutation(
  "createFlashApp",
  `mutation createFlashApp($input: CreateFlashAppInput!) { createFlashApp(input: $input) { id name } }`,
  z.object({ createFlashApp: z.object({ id: z.string(), name: z.string() }) }),
);

const deleteFlashAppMutation = mutation(
  "deleteFlashApp",
  `mutation deleteFlashApp($flashAppId: String!) { deleteFlashApp(flashAppId: $flashAppId) }`,
  z.object({ deleteFlashApp: z.unknown() }),
);

const ENV_DETAIL_FIELDS = `${ENV_FIELDS} endpoints { id name } networkVolumes { id name }`;

const getFlashEnvironmentQuery = query(
  "getFlashEnvironment",
  `query getFlashEnvironment($flashEnvironmentId: String!) {
    flashEnvironment(flashEnvironmentId: $flashEnvironmentId) { ${ENV_DETAIL_FIELDS} } }`,
  z.object({ flashEnvironment: FlashEnvironmentSchema.nullish() }),
);

const getFlashEnvironmentByNameQuery = query(
  "getFlashEnvironmentByName",
  `query getFlashEnvironmentByName($input: FlashEnvironmentByNameInput!) {
    flashEnvironmentByName(input: $input) { ${ENV_DETAIL_FIELDS} } }`,
  z.object({ flashEnvironmentByName: FlashEnvironmentSchema.nullish() }),
);

const createFlashEnvironmentMutation = mutation(
  "createFlashEnvironment",
  `mutation createFlashEnvironment($input: CreateFlashEnvironmentInput!) {
    createFlashEnvironment(input: $input) { id name } }`,
  z.object({ createFlashEnvironment: z.object({ id: z.string(), name: z.string() }) }),
);

const deleteFlashEnvironmentMutation = mutation(
  "deleteFlashEnvironment",
  `mutation deleteFlashEnvironment($flashEnvironmentId: String!) {
    deleteFlashEnvironment(flashEnvironmentId: $flashEnvironmentId) }`,
  z.object({ deleteFlashEnvironment: z.unknown() }),
);

type Signal = { signal?: AbortSignal };

/** Every flash app on the account, with environments and builds. */
export async function listFlashApps(client: GraphqlClient, options: Signal = {}): Promise<FlashAppRecord[]> {
  return (await client.request(listFlashAppsQuery, {}, options)).myself.flashApps ?? [];
}

/** The app with this id, or undefined. */
export async function getFlashApp(
  client: GraphqlClient,
  flashAppId: string,
  options: Signal = {},
): Promise<FlashAppRecord | undefined> {
  return orUndefinedWhenNotFound(
    async () => (await client.request(getFlashAppQuery, { input: flashAppId }, options)).flashApp,
  );
}

/** The app named `name`, or undefined (RunPod answers "app not found" as an error; that is mapped). */
export async function getFlashAppByName(
  client: GraphqlClient,
  name: string,
  options: Signal = {},
): Promise<FlashAppRecord | undefined> {
  return orUndefinedWhenNotFound(
    async () =>
      (await client.request(getFlashAppByNameQuery, { flashAppName: name }, options)).flashAppByName,
  );
}

/** Creates an app; names are unique per account. */
export async function createFlashApp(
  client: GraphqlClient,
  name: string,
  options: Signal = {},
): Promise<{ id: string; name: string }> {
  return (await client.request(createFlashAppMutation, { input: { name } }, options)).createFlashApp;
}

/** Deletes an app with its environments and builds (not the endpoints deployed from them). */
export async function deleteFlashApp(
  client: GraphqlClient,
  flashAppId: string,
  options: Signal = {},
): Promise<void> {
  await client.request(deleteFlashAppMutation, { flashAppId }, options);
}

/** The environment with this id (with its endpoints), or undefined. */
export async function getFlashEnvironment(
  client: GraphqlClient,
  flashEnvironmentId: string,
  options: Signal = {},
): Promise<FlashEnvironmentRecord | undefined> {
  return orUndefinedWhenNotFound(
    async () =>
      (await client.request(getFlashEnvironmentQuery, { flashEnvironmentId }, options)).flashEnvironment,
  );
}

/** The environment `name` of an app (with its endpoints), or undefined. */
export async function getFlashEnvironmentByName(
  client: GraphqlClient,
  input: { flashAppId: string; name: string },
  options: Signal = {},
): Promise<FlashEnvironmentRecord | undefined> {
  return orUndefinedWhenNotFound(
    async () =>
      (await client.request(getFlashEnvironmentByNameQuery, { input }, options)).flashEnvironmentByName,
  );
}

/** Creates an environment in an app; names are unique within the app. */
export async function createFlashEnvironment(
  client: GraphqlClient,
  input: { flashAppId: string; name: string },
  options: Signal = {},
): Promise<{ id: string; name: string }> {
  return (await client.request(createFlashEnvironmentMutation, { input }, options)).createFlashEnvironment;
}

/** Deletes an environment (not its endpoints: undeploy them first). */
export async function deleteFlashEnvironment(
  client: GraphqlClient,
  flashEnvironmentId: string,
  options: Signal = {},
): Promise<void> {
  await client.request(deleteFlashEnvironmentMutation, { flashEnvironmentId }, options);
}

async function orUndefinedWhenNotFound<T>(fn: () => Promise<T | null | undefined>): Promise<T | undefined> {
  try {
    return (await fn()) ?? undefined;
  } catch (err) {
    if (err instanceof GraphqlRequestError && err.isNotFound) return undefined;
    throw err;
  }
}
