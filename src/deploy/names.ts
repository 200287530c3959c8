import { FlashError } from "../shared/errors.ts";

/** The environment `flash deploy` targets without `--env`. */
export const DEFAULT_ENVIRONMENT = "production";

/**
 * Checks an environment name: it becomes part of endpoint names (`<name>-<env>`), so it is held to
 * the same characters.
 * @throws FlashError USAGE
 */
export function checkEnvironmentName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/.test(name)) {
    throw new FlashError(
      "USAGE",
      `--env must be 1–32 letters, digits, '_' or '-', starting with a letter or digit; got ${JSON.stringify(name)}.`,
    );
  }
  return name;
}

/** An endpoint's name on RunPod: `<name>` in production, `<name>-<env>` in any other environment. */
export function deployedEndpointName(configName: string, environment: string): string {
  return environment === DEFAULT_ENVIRONMENT ? configName : `${configName}-${environment}`;
}

/**
 * The name of the template deploy keeps for an endpoint. Template names are unique per account, so
 * an interrupted deploy finds the one it created before it could create the endpoint.
 */
export function deployedTemplateName(endpointName: string): string {
  return `flash-tpl-${endpointName}`;
}

/**
 * True for an endpoint `flash deploy` made: it runs the template deploy names after it. Removal
 * (stale endpoints on deploy, `flash undeploy`) touches only these, so endpoints another tool put in
 * the same flash environment are left alone.
 */
export function isDeployedByFlash(
  endpoint: { name: string; templateId?: string | null },
  templateNameOf: (templateId: string) => string | undefined,
): boolean {
  return (
    endpoint.templateId != null && templateNameOf(endpoint.templateId) === deployedTemplateName(endpoint.name)
  );
}
