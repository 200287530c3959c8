import { z } from "zod";
import { type NetworkVolumeRecord, NetworkVolumeSchema } from "../shared/schemas/control-plane.ts";
import { type GraphqlClient, mutation, query } from "./graphql-client.ts";

/**
 * Network volumes, found by name and data center so a second deploy reuses the volume the first one
 * created. Listing is the GraphQL query official clients use (`myself { networkVolumes }`). Creation
 * uses the `createNetworkVolume` mutation, which only third-party clients show (official ones call the
 * REST API, whose v1 is retired): confirm it against RunPod before relying on it outside the emulator.
 */

const listNetworkVolumesQuery = query(
  "listNetworkVolumes",
  "query listNetworkVolumes { myself { networkVolumes { id name size dataCenterId } } }",
  z.object({ myself: z.object({ networkVolumes: z.array(NetworkVolumeSchema).nullish() }) }),
);

const createNetworkVolumeMutation = mutation(
  "createNetworkVolume",
  `mutation createNetworkVolume($input: CreateNetworkVolumeInput!) {
    createNetworkVolume(input: $input) { id name size dataCenterId } }`,
  z.object({ createNetworkVolume: NetworkVolumeSchema }),
);

type Signal = { signal?: AbortSignal };

/** Every network volume of the account. */
export async function listNetworkVolumes(
  client: GraphqlClient,
  options: Signal = {},
): Promise<NetworkVolumeRecord[]> {
  return (await client.request(listNetworkVolumesQuery, {}, options)).myself.networkVolumes ?? [];
}

/** The volume named `name` in `dataCenterId`, or undefined. */
export async function findNetworkVolume(
  client: GraphqlClient,
  input: { name: string; dataCenterId: string },
  options: Signal = {},
): Promise<NetworkVolumeRecord | undefined> {
  return (await listNetworkVolumes(client, options)).find(
    (v) => v.name === input.name && v.dataCenterId === input.dataCenterId,
  );
}

/** Creates a volume of `size` GB in `dataCenterId`. */
export async function createNetworkVolume(
  client: GraphqlClient,
  input: { name: string; size: number; dataCenterId: string },
  options: Signal = {},
): Promise<NetworkVolumeRecord> {
  return (await client.request(createNetworkVolumeMutation, { input }, options)).createNetworkVolume;
}
