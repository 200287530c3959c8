import { CpuLiveServerless, remote } from "runpod-flash";
// Listed in `dependencies` below: installed on the worker with npm, not bundled.
import slugify from "slugify";

const cpu = new CpuLiveServerless({ name: "slug_worker" });

export const slug = remote(cpu, { dependencies: ["slugify@1.6.6"] }, async (input: { title: string }) => {
  return { slug: slugify(input.title, { lower: true, strict: true }) };
});
