import { CpuLiveServerless, remote } from "runpod-flash";

// Several functions in one file share one endpoint; each gets its own sub-prefixed routes.
const cpu = new CpuLiveServerless({ name: "text_tools" });

export const upper = remote(cpu, async (input: { text: string }) => ({ text: input.text.toUpperCase() }));

export const wordCount = remote(cpu, async (input: { text: string }) => ({
  words: input.text.split(/\s+/).filter(Boolean).length,
}));

export const reverse = remote(cpu, async (input: { text: string }) => ({
  text: [...input.text].reverse().join(""),
}));
