/**
 * RunPod GPU pool ids, as `gpuIds` takes them. `ANY` lets RunPod pick from every pool.
 * @see https://docs.runpod.io/references/gpu-types
 */
export const GpuGroup = {
  ANY: "ANY",
  AMPERE_16: "AMPERE_16",
  AMPERE_24: "AMPERE_24",
  ADA_24: "ADA_24",
  ADA_32_PRO: "ADA_32_PRO",
  AMPERE_48: "AMPERE_48",
  ADA_48_PRO: "ADA_48_PRO",
  AMPERE_80: "AMPERE_80",
  ADA_80_PRO: "ADA_80_PRO",
  BLACKWELL_96: "BLACKWELL_96",
  HOPPER_141: "HOPPER_141",
  BLACKWELL_180: "BLACKWELL_180",
} as const;
export type GpuGroup = (typeof GpuGroup)[keyof typeof GpuGroup];

/** Individual GPU types (RunPod's display names), each belonging to one pool. */
export const GpuType = {
  RTX_A4000: "NVIDIA RTX A4000",
  RTX_A4500: "NVIDIA RTX A4500",
  RTX_4000_ADA: "NVIDIA RTX 4000 Ada Generation",
  RTX_2000_ADA: "NVIDIA RTX 2000 Ada Generation",
  RTX_A5000: "NVIDIA RTX A5000",
  L4: "NVIDIA L4",
  RTX_3090: "NVIDIA GeForce RTX 3090",
  RTX_4090: "NVIDIA GeForce RTX 4090",
  RTX_5090: "NVIDIA GeForce RTX 5090",
  A40: "NVIDIA A40",
  RTX_A6000: "NVIDIA RTX A6000",
  RTX_6000_ADA: "NVIDIA RTX 6000 Ada Generation",
  L40: "NVIDIA L40",
  L40S: "NVIDIA L40S",
  A100_80GB_PCIE: "NVIDIA A100 80GB PCIe",
  A100_SXM4_80GB: "NVIDIA A100-SXM4-80GB",
  H100_80GB_HBM3: "NVIDIA H100 80GB HBM3",
  H100_PCIE: "NVIDIA H100 PCIe",
  H100_NVL: "NVIDIA H100 NVL",
  RTX_PRO_6000: "NVIDIA RTX PRO 6000 Blackwell Server Edition",
  H200: "NVIDIA H200",
  B200: "NVIDIA B200",
} as const;
export type GpuType = (typeof GpuType)[keyof typeof GpuType];

/** The pool each GPU type belongs to; used to turn a type list into RunPod's `gpuIds` string. */
export const gpuPoolOf: Readonly<Record<GpuType, Exclude<GpuGroup, "ANY">>> = {
  "NVIDIA RTX A4000": "AMPERE_16",
  "NVIDIA RTX A4500": "AMPERE_16",
  "NVIDIA RTX 4000 Ada Generation": "AMPERE_16",
  "NVIDIA RTX 2000 Ada Generation": "AMPERE_16",
  "NVIDIA RTX A5000": "AMPERE_24",
  "NVIDIA L4": "AMPERE_24",
  "NVIDIA GeForce RTX 3090": "AMPERE_24",
  "NVIDIA GeForce RTX 4090": "ADA_24",
  "NVIDIA GeForce RTX 5090": "ADA_32_PRO",
  "NVIDIA A40": "AMPERE_48",
  "NVIDIA RTX A6000": "AMPERE_48",
  "NVIDIA RTX 6000 Ada Generation": "ADA_48_PRO",
  "NVIDIA L40": "ADA_48_PRO",
  "NVIDIA L40S": "ADA_48_PRO",
  "NVIDIA A100 80GB PCIe": "AMPERE_80",
  "NVIDIA A100-SXM4-80GB": "AMPERE_80",
  "NVIDIA H100 80GB HBM3": "ADA_80_PRO",
  "NVIDIA H100 PCIe": "ADA_80_PRO",
  "NVIDIA H100 NVL": "ADA_80_PRO",
  "NVIDIA RTX PRO 6000 Blackwell Server Edition": "BLACKWELL_96",
  "NVIDIA H200": "HOPPER_141",
  "NVIDIA B200": "BLACKWELL_180",
};

/** CPU instance ids, `<flavor>-<vCPU>-<RAM GB>`. */
export const CpuInstanceType = {
  CPU3G_1_4: "cpu3g-1-4",
  CPU3G_2_8: "cpu3g-2-8",
  CPU3G_4_16: "cpu3g-4-16",
  CPU3G_8_32: "cpu3g-8-32",
  CPU3C_1_2: "cpu3c-1-2",
  CPU3C_2_4: "cpu3c-2-4",
  CPU3C_4_8: "cpu3c-4-8",
  CPU3C_8_16: "cpu3c-8-16",
  CPU5C_1_2: "cpu5c-1-2",
  CPU5C_2_4: "cpu5c-2-4",
  CPU5C_4_8: "cpu5c-4-8",
  CPU5C_8_16: "cpu5c-8-16",
} as const;
export type CpuInstanceType = (typeof CpuInstanceType)[keyof typeof CpuInstanceType];

/** RunPod data center ids. */
export const DataCenter = {
  EU_RO_1: "EU-RO-1",
  CA_MTL_1: "CA-MTL-1",
  CA_MTL_2: "CA-MTL-2",
  CA_MTL_3: "CA-MTL-3",
  EU_SE_1: "EU-SE-1",
  EU_CZ_1: "EU-CZ-1",
  EU_NL_1: "EU-NL-1",
  EU_FR_1: "EU-FR-1",
  EUR_IS_1: "EUR-IS-1",
  EUR_IS_2: "EUR-IS-2",
  EUR_IS_3: "EUR-IS-3",
  EUR_NO_1: "EUR-NO-1",
  US_IL_1: "US-IL-1",
  US_TX_1: "US-TX-1",
  US_TX_3: "US-TX-3",
  US_TX_4: "US-TX-4",
  US_KS_2: "US-KS-2",
  US_KS_3: "US-KS-3",
  US_GA_1: "US-GA-1",
  US_GA_2: "US-GA-2",
  US_WA_1: "US-WA-1",
  US_CA_2: "US-CA-2",
  US_NC_1: "US-NC-1",
  US_NC_2: "US-NC-2",
  US_DE_1: "US-DE-1",
  US_MO_1: "US-MO-1",
  US_MO_2: "US-MO-2",
  US_NE_1: "US-NE-1",
  OC_AU_1: "OC-AU-1",
  AP_JP_1: "AP-JP-1",
} as const;
export type DataCenter = (typeof DataCenter)[keyof typeof DataCenter];

/** How RunPod scales workers: by queue delay in seconds, or by requests per worker. */
export const ScalerType = {
  QUEUE_DELAY: "QUEUE_DELAY",
  REQUEST_COUNT: "REQUEST_COUNT",
} as const;
export type ScalerType = (typeof ScalerType)[keyof typeof ScalerType];

/** HTTP methods an LB route may declare. */
export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
