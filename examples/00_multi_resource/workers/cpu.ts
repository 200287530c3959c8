import { CpuLiveServerless, remote } from "runpod-flash";

const cpu = new CpuLiveServerless({ name: "tokenizer" });

export const tokenize = remote(cpu, async (input: { text: string }) => {
  const tokens = input.text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  return { tokens };
});
