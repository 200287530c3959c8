/** The package version, replaced at build time; `dev` when running from source. */
declare const __FLASH_VERSION__: string | undefined;
export const VERSION: string = typeof __FLASH_VERSION__ === "string" ? __FLASH_VERSION__ : "dev";
