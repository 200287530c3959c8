import { type GpuGroup, GpuType, gpuPoolOf } from "../../sdk/enums.ts";

/**
 * `gpuTypes(input: {id} | {ids})`: RunPod's GPU types, the ones the SDK's `GpuType` lists (so an id
 * the SDK accepts is one the emulator knows), with the memory of their pool. The emulator has no
 * GPUs and no prices: every type is available on both clouds, prices are null, stock is "High".
 */

/** VRAM of each pool in GB (research/runpod-api.md section 6.1). */
const POOL_MEMORY_GB: Readonly<Record<Exclude<GpuGroup, "ANY">, number>> = {
  AMPERE_16: 16,
  AMPERE_24: 24,
  ADA_24: 24,
  ADA_32_PRO: 32,
  AMPERE_48: 48,
  ADA_48_PRO: 48,
  AMPERE_80: 80,
  ADA_80_PRO: 80,
  BLACKWELL_96: 96,
  HOPPER_141: 141,
  BLACKWELL_180: 180,
};

/** Cards whose memory differs from their pool's nominal size. */
const MEMORY_GB: Partial<Record<GpuType, number>> = { "NVIDIA H100 NVL": 94 };

export interface GpuTypeView {
  id: string;
  displayName: string;
  memoryInGb: number;
  manufacturer: string;
  cudaCores: null;
  secureCloud: boolean;
  communityCloud: boolean;
  maxGpuCount: number;
  securePrice: null;
  communityPrice: null;
  oneMonthPrice: null;
  threeMonthPrice: null;
  oneWeekPrice: null;
  communitySpotPrice: null;
  secureSpotPrice: null;
  lowestPrice: () => { minimumBidPrice: null; uninterruptablePrice: null; stockStatus: string };
}

function view(id: GpuType): GpuTypeView {
  return {
    id,
    // RunPod's displayName drops the vendor: "RTX 4090", "A100 80GB PCIe", "H100 80GB HBM3".
    displayName: id.replace(/^NVIDIA (GeForce )?/, ""),
    memoryInGb: MEMORY_GB[id] ?? POOL_MEMORY_GB[gpuPoolOf[id]],
    manufacturer: "Nvidia",
    cudaCores: null,
    secureCloud: true,
    communityCloud: true,
    maxGpuCount: 8,
    securePrice: null,
    communityPrice: null,
    oneMonthPrice: null,
    threeMonthPrice: null,
    oneWeekPrice: null,
    communitySpotPrice: null,
    secureSpotPrice: null,
    lowestPrice: () => ({ minimumBidPrice: null, uninterruptablePrice: null, stockStatus: "High" }),
  };
}

/** `gpuTypes`: every type, or those `input.id` / `input.ids` name (unknown ids are left out). */
export function gpuTypes(
  input: { id?: string | null; ids?: (string | null)[] | null } | null | undefined,
): GpuTypeView[] {
  const all = Object.values(GpuType);
  const wanted = new Set<string>();
  if (input?.id) wanted.add(input.id);
  for (const id of input?.ids ?? []) if (id) wanted.add(id);
  return (wanted.size === 0 && !input?.id && !input?.ids ? all : all.filter((id) => wanted.has(id))).map(
    view,
  );
}
