import { InputError, newId, type ResolverContext } from "./context.ts";
import type { EmulatedNetworkVolume } from "./flash-store.ts";

/**
 * Network volumes: list (`myself { networkVolumes }`) and create (`createNetworkVolume`). The emulator
 * only records them; workers get no volume mounted.
 */

/** RunPod's cap on a network volume, in GB. */
const MAX_VOLUME_GB = 4000;
const DATA_CENTER_ID = /^[A-Z]{2,3}-[A-Z]{2,3}-\d+$/;

export function createNetworkVolume(
  ctx: ResolverContext,
  input: { name: string; size: number; dataCenterId: string },
): EmulatedNetworkVolume {
  const name = input.name.trim();
  if (!name) throw new InputError("Network volume name is required");
  if (!Number.isInteger(input.size) || input.size < 1 || input.size > MAX_VOLUME_GB) {
    throw new InputError(`size must be an integer between 1 and ${MAX_VOLUME_GB} GB, got ${input.size}`);
  }
  if (!DATA_CENTER_ID.test(input.dataCenterId)) {
    throw new InputError(`Unknown data center id ${JSON.stringify(input.dataCenterId)}`);
  }
  const volume: EmulatedNetworkVolume = {
    id: newId(10),
    name,
    size: input.size,
    dataCenterId: input.dataCenterId,
  };
  ctx.store.networkVolumes.set(volume.id, volume);
  return volume;
}

export function listNetworkVolumes(ctx: ResolverContext): EmulatedNetworkVolume[] {
  return [...ctx.store.networkVolumes.values()];
}
