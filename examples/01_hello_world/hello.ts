import { LiveServerless, remote } from "runpod-flash";

export const hello = remote(new LiveServerless(), async (input: { name?: string }) => {
  return { message: `Hello, ${input.name ?? "world"}!` };
});
