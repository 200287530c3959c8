/**
 * `FLASH_DEBUG_TIMING=1`: start-up milestones on stderr, as epoch milliseconds (comparable across the
 * worker's threads and with the spawning process's clock).
 */
const enabled = process.env.FLASH_DEBUG_TIMING === "1";

export function timing(label: string): void {
  if (!enabled) return;
  const at = (performance.timeOrigin + performance.now()).toFixed(1);
  process.stderr.write(`[flash worker timing] ${label} ${at}\n`);
}
