import { CpuInstanceType, CpuLiveServerless, remote } from "runpod-flash";

const cpu = new CpuLiveServerless({
  instanceIds: [CpuInstanceType.CPU3C_2_4],
  workersMax: 4,
  idleTimeout: 30,
});

/** Counts primes below `limit` with a sieve: CPU work that needs no GPU. */
export const countPrimes = remote(cpu, async (input: { limit: number }) => {
  const limit = Math.min(Math.max(2, Math.floor(input.limit)), 10_000_000);
  const composite = new Uint8Array(limit);
  let count = 0;
  for (let i = 2; i < limit; i++) {
    if (composite[i]) continue;
    count++;
    for (let j = i * i; j < limit; j += i) composite[j] = 1;
  }
  return { limit, count };
});
