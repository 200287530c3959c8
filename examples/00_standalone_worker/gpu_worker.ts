import { GpuGroup, LiveServerless, remote } from "runpod-flash";

const gpu = new LiveServerless({ name: "gpu_worker", gpus: [GpuGroup.ANY] });

export const process = remote(gpu, async (input: { prompt: string }) => {
  return { result: "processed", input };
});
