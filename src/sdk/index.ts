/**
 * The Flash SDK: what user code imports as `runpod-flash`.
 * @packageDocumentation
 */
export {
  CpuLiveLoadBalancer,
  CpuLiveServerless,
  CpuServerlessEndpoint,
  LiveLoadBalancer,
  LiveServerless,
  NetworkVolume,
  type NetworkVolumeOptions,
  type ResolvedConfig,
  ResourceConfig,
  type ResourceType,
  ServerlessEndpoint,
  type ServerlessOptions,
} from "./config.ts";
export { CpuInstanceType, DataCenter, GpuGroup, GpuType, type HttpMethod, ScalerType } from "./enums.ts";
export { FlashError, RemoteExecutionError } from "./errors.ts";
export {
  type CallOptions,
  getRemoteMeta,
  type LbHandler,
  type RemoteFunction,
  type RemoteOptions,
  type RequestContext,
  remote,
} from "./remote.ts";
