import { z } from "zod";
import { type EndpointInput, type EndpointRecord, EndpointSchema } from "../shared/schemas/control-plane.ts";
import { type GraphqlClient, mutation, query } from "./graphql-client.ts";

/**
 * Serverless endpoints on the account: create/update (`saveEndpoint`), list and find
 * (`myself { endpoints }`), delete (`deleteEndpoint`). Names are not unique on RunPod, so lookups by
 * name return every match and let the caller decide.
 */

/** The endpoint fields Flash selects: those official clients request, nothing speculative. */
const ENDPOINT_FIELDS = `
  id name templateId type gpuIds gpuCount instanceIds
  workersMin workersMax workersStandby idleTimeout scalerType scalerValue executionTimeoutMs
  flashBootType networkVolumeId networkVolumeIds { networkVolumeId dataCenterId } locations
  allowedCudaVersions minCudaVersion flashEnvironmentId userId version`;

const saveEndpointCreate = mutation(
  "saveEndpoint",
  `mutation saveEndpoint($input: EndpointInput!) { saveEndpoint(input: $input) { ${ENDPOINT_FIELDS} } }`,
  z.object({ saveEndpoint: EndpointSchema }),
);

// With an id, saveEndpoint is a full replace: sending it twice leaves the same endpoint.
const saveEndpointUpdate = { ...saveEndpointCreate, idempotent: true };

const listEndpointsQuery = query(
  "listEndpoints",
  `query listEndpoints { myself { endpoints { ${ENDPOINT_FIELDS} } } }`,
  z.object({ myself: z.object({ endpoints: z.array(EndpointSchema).nullish() }) }),
);

const getEndpointQuery = query(
  "getEndpoint",
  `query getEndpoint($id: String!) { myself { endpoint(id: $id) { ${ENDPOINT_FIELDS} } } }`,
  z.object({ myself: z.object({ endpoint: EndpointSchema.nullish() }) }),
);

// Not retried: a retry after a delete that did go through would report "not found".
const deleteEndpointMutation = mutation(
  "deleteEndpoint",
  `mutation deleteEndpoint($id: String!) { deleteEndpoint(id: $id) }`,
  z.object({ deleteEndpoint: z.unknown() }),
);

/**
 * Creates an endpoint, or replaces the one with `input.id`. On update every field must be sent:
 * RunPod resets omitted fields to defaults.
 */
export async function saveEndpoint(
  client: GraphqlClient,
  input: EndpointInput,
  options: { signal?: AbortSignal } = {},
): Promise<EndpointRecord> {
  const op = input.id ? saveEndpointUpdate : saveEndpointCreate;
  const data = await client.request(op, { input }, options);
  return data.saveEndpoint;
}

/** Every serverless endpoint on the account. */
export async function listEndpoints(
  client: GraphqlClient,
  options: { signal?: AbortSignal } = {},
): Promise<EndpointRecord[]> {
  const data = await client.request(listEndpointsQuery, {}, options);
  return data.myself.endpoints ?? [];
}

/** The endpoint with this id, or undefined. */
export async function getEndpoint(
  client: GraphqlClient,
  id: string,
  options: { signal?: AbortSignal } = {},
): Promise<EndpointRecord | undefined> {
  const data = await client.request(getEndpointQuery, { id }, options);
  return data.myself.endpoint ?? undefined;
}

/** Every endpoint named exactly `name` (RunPod allows duplicates), oldest listing order kept. */
export async function findEndpointsByName(
  client: GraphqlClient,
  name: string,
  options: { signal?: AbortSignal } = {},
): Promise<EndpointRecord[]> {
  return (await listEndpoints(client, options)).filter((e) => e.name === name);
}

/**
 * The endpoint named `name`, or undefined. When several share the name (left by an older tool or an
 * interrupted deploy), the first listed is returned; use {@link findEndpointsByName} to see them all.
 */
export async function getEndpointByName(
  client: GraphqlClient,
  name: string,
  options: { signal?: AbortSignal } = {},
): Promise<EndpointRecord | undefined> {
  return (await findEndpointsByName(client, name, options))[0];
}

/**
 * Deletes the endpoint; its workers stop. RunPod's docs suggest scaling to 0 workers first, but its
 * own Flash deletes directly, and so does this.
 */
export async function deleteEndpoint(
  client: GraphqlClient,
  id: string,
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  await client.request(deleteEndpointMutation, { id }, options);
}
