import { GpuGroup, LiveServerless, remote } from "runpod-flash";

const gpu = new LiveServerless({
  name: "embedder",
  gpus: [GpuGroup.ADA_24, GpuGroup.AMPERE_24],
  workersMax: 2,
});

/** A stand-in for a model: a deterministic 8-dimensional embedding of each token. */
export const embed = remote(gpu, async (input: { tokens: string[] }) => {
  const vectors = input.tokens.map((token) => {
    const v = new Array<number>(8).fill(0);
    for (let i = 0; i < token.length; i++) v[i % 8]! += token.charCodeAt(i) / 255;
    return v.map((x) => Math.round(x * 1000) / 1000);
  });
  return { vectors, dims: 8 };
});
