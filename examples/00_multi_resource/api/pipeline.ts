import { CpuLiveLoadBalancer, remote } from "runpod-flash";
import { tokenize } from "../workers/cpu.js";
import { embed } from "../workers/gpu.js";

const api = new CpuLiveLoadBalancer({ name: "pipeline_api" });

/** Runs here (the LB endpoint); tokenize() and embed() are jobs on their own endpoints. */
export const process = remote(api, { method: "POST", path: "/process" }, async (body: { text: string }) => {
  const { tokens } = await tokenize({ text: body.text });
  const { vectors, dims } = await embed({ tokens });
  return { tokens, dims, vectors };
});

export const health = remote(api, { method: "GET", path: "/health" }, async () => ({ status: "ok" }));
