import {
  type GraphQLInputType,
  type GraphQLResolveInfo,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
} from "graphql";
import { InputError } from "./context.ts";

/**
 * Length bounds of the strings a control-plane operation stores, checked for every root field's
 * arguments before its resolver runs. RunPod documents no limits (research/runpod-api.md has
 * none), so these are the bounds of the database columns such names usually live in: a name is at
 * most 191 characters (the longest indexed utf8mb4 VARCHAR in MySQL, a common choice for unique
 * names), any other string (image names, docker args, env values, a readme) at most 65,535 (a TEXT
 * column). JSON values (manifests, template config) are bounded by the request size only.
 */
export const INPUT_BOUNDS = { name: 191, text: 65_535 } as const;

/** Arguments and input fields holding a name. */
const NAME_FIELDS = new Set(["name", "templateName", "flashAppName"]);

/**
 * Throws an {@link InputError} naming the argument when a string in `args` is over its bound.
 * Walks the values by their GraphQL input types (whose nesting the schema fixes), never into JSON.
 */
export function checkInputBounds(args: Record<string, unknown>, info: GraphQLResolveInfo): void {
  const field = info.parentType.getFields()[info.fieldName];
  if (!field) return;
  for (const arg of field.args) walk(args[arg.name], arg.type, arg.name, arg.name);
}

function walk(value: unknown, type: GraphQLInputType, name: string, where: string): void {
  if (value === null || value === undefined) return;
  if (isNonNullType(type)) {
    walk(value, type.ofType, name, where);
    return;
  }
  if (isListType(type)) {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) walk(value[i], type.ofType, name, `${where}[${i}]`);
    }
    return;
  }
  if (isInputObjectType(type)) {
    if (typeof value !== "object") return;
    const fields = type.getFields();
    for (const key of Object.keys(fields)) {
      walk((value as Record<string, unknown>)[key], fields[key]!.type, key, `${where}.${key}`);
    }
    return;
  }
  if (isScalarType(type) && (type.name === "String" || type.name === "ID") && typeof value === "string") {
    const max = NAME_FIELDS.has(name) ? INPUT_BOUNDS.name : INPUT_BOUNDS.text;
    if (value.length > max) {
      throw new InputError(
        `${where} is ${value.length} characters long; the most allowed is ${max}${max === INPUT_BOUNDS.name ? " for a name" : ""}`,
      );
    }
  }
}
