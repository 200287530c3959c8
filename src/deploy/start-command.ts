// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these are shell parameter expansions, not JavaScript templates
/**
 * The start command of every Flash template (RunPod's `dockerArgs`, the container's command), the
 * one way a worker starts on a public image (SPEC section 6):
 * 1. wait for the build artifact at `FLASH_BUILD_ARTIFACT_PATH` (default RunPod's
 *    `/root/.runpod/artifact.tar.gz`): RunPod may place it after the container starts;
 * 2. unpack it once into `FLASH_APP_DIR` (default `/app`), aside then renamed, so a worker restarted
 *    mid-unpack starts over;
 * 3. start the runtime the artifact carries (`node_modules/runpod-flash`, the version that built
 *    it) with the artifact's Node when it carries one (images without Node), else the image's.
 *
 * POSIX sh with no single quote inside, so it fits in `sh -c '...'`. `FLASH_NODE` (unset on RunPod)
 * lets the emulator on a non-Linux host run the host's Node in place of the carried linux-x64 one.
 */
export const START_SCRIPT = [
  'A="${FLASH_BUILD_ARTIFACT_PATH:-/root/.runpod/artifact.tar.gz}"',
  'D="${FLASH_APP_DIR:-/app}"',
  "n=0",
  'while [ ! -s "$A" ]; do n=$((n+1)); if [ "$n" -gt 600 ]; then echo "flash: no build artifact at $A after 600 s" >&2; exit 1; fi; sleep 1; done',
  'if [ ! -f "$D/.flash-unpacked" ]; then rm -rf "$D.unpacking" && mkdir -p "$D.unpacking" && tar -xzf "$A" -C "$D.unpacking" && : > "$D.unpacking/.flash-unpacked" && rm -rf "$D" && mv "$D.unpacking" "$D"; fi',
  'N="${FLASH_NODE:-$D/node/bin/node}"',
  '[ -x "$N" ] || N=node',
  'export FLASH_APP_DIR="$D"',
  'exec "$N" "$D/node_modules/runpod-flash/dist/runtime/worker.js"',
].join("; ");

/** The template's `dockerArgs`: {@link START_SCRIPT} under `sh -c`. */
export const START_COMMAND = `sh -c '${START_SCRIPT}'`;
