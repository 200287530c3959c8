import { z } from "zod";
import {
  type SaveTemplateInput,
  type TemplateRecord,
  TemplateSchema,
} from "../shared/schemas/control-plane.ts";
import { type GraphqlClient, mutation, query } from "./graphql-client.ts";

/**
 * Serverless templates: the image, disk and env an endpoint's workers run with. Env lives here, not on
 * the endpoint, so changing an endpoint's env means saving its template.
 */

const TEMPLATE_FIELDS =
  "id name imageName containerDiskInGb dockerArgs containerRegistryAuthId env { key value } readme";

const saveTemplateCreate = mutation(
  "saveTemplate",
  `mutation saveTemplate($input: SaveTemplateInput) { saveTemplate(input: $input) { ${TEMPLATE_FIELDS} } }`,
  z.object({ saveTemplate: TemplateSchema }),
);

// With an id, saving the same template twice leaves the same template.
const saveTemplateUpdate = { ...saveTemplateCreate, idempotent: true };

const getTemplateQuery = query(
  "getTemplate",
  `query getTemplate($id: String!) { podTemplate(id: $id) { ${TEMPLATE_FIELDS} } }`,
  z.object({ podTemplate: TemplateSchema.nullish() }),
);

const listTemplatesQuery = query(
  "listTemplates",
  `query listTemplates { myself { podTemplates { ${TEMPLATE_FIELDS} isServerless } } }`,
  z.object({ myself: z.object({ podTemplates: z.array(TemplateSchema).nullish() }) }),
);

const deleteTemplateMutation = mutation(
  "deleteTemplate",
  `mutation deleteTemplate($templateName: String) { deleteTemplate(templateName: $templateName) }`,
  z.object({ deleteTemplate: z.unknown() }),
);

/** Creates a template, or replaces the one with `input.id`. Names are unique per account. */
export async function saveTemplate(
  client: GraphqlClient,
  input: SaveTemplateInput,
  options: { signal?: AbortSignal } = {},
): Promise<TemplateRecord> {
  const op = input.id ? saveTemplateUpdate : saveTemplateCreate;
  return (await client.request(op, { input }, options)).saveTemplate;
}

/** The template with this id (including its env), or undefined. */
export async function getTemplate(
  client: GraphqlClient,
  id: string,
  options: { signal?: AbortSignal } = {},
): Promise<TemplateRecord | undefined> {
  return (await client.request(getTemplateQuery, { id }, options)).podTemplate ?? undefined;
}

/** Every template of the account (pod and serverless). */
export async function listTemplates(
  client: GraphqlClient,
  options: { signal?: AbortSignal } = {},
): Promise<TemplateRecord[]> {
  return (await client.request(listTemplatesQuery, {}, options)).myself.podTemplates ?? [];
}

/**
 * The template named `name`, or undefined. Template names are unique per account, so this is how an
 * interrupted deploy finds the template it created before it could create the endpoint.
 */
export async function getTemplateByName(
  client: GraphqlClient,
  name: string,
  options: { signal?: AbortSignal } = {},
): Promise<TemplateRecord | undefined> {
  return (await listTemplates(client, options)).find((t) => t.name === name);
}

/**
 * Deletes a template by **name** (RunPod's key for this call). RunPod refuses while an endpoint uses
 * it, so delete the endpoints first.
 */
export async function deleteTemplate(
  client: GraphqlClient,
  templateName: string,
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  await client.request(deleteTemplateMutation, { templateName }, options);
}
