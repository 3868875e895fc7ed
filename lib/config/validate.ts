import { Ajv, type ErrorObject, type JSONSchemaType, type SchemaObject } from 'ajv';
import { GpioAggError } from '../errors.js';

/**
 * JSON schema validation whose failures read as one line naming the file, the
 * field and what was expected. Every schema node describes what it expects in
 * `description`; that text is what the error shows.
 */
export type Validator<T> = (file: string, data: unknown) => T;

export interface ValidatorOptions {
  /** Quote the offending value ("got …"); off where a file's values must not reach a log. */
  readonly quoteValues?: boolean;
}

export function compileValidator<T>(schema: JSONSchemaType<T> | SchemaObject, options: ValidatorOptions = {}): Validator<T> {
  const ajv = new Ajv({ allErrors: false, verbose: true, allowUnionTypes: true });
  const validate = ajv.compile<T>(schema);
  const quoteValues = options.quoteValues ?? true;
  return (file, data) => {
    if (validate(data)) return data;
    const error = validate.errors?.[0];
    throw new GpioAggError('EINVAL', `${file}: ${error === undefined ? 'invalid' : describe(error, quoteValues)}`);
  };
}

/** "/aggregators/0/lines/line1" → "aggregators[0].lines.line1". */
export function fieldPath(pointer: string, child?: string): string {
  const parts = pointer.split('/').slice(1).map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child !== undefined) parts.push(child);
  let path = '';
  for (const part of parts) {
    if (/^(0|[1-9][0-9]*)$/.test(part)) path += `[${part}]`;
    else if (/^[A-Za-z_$][\w$.-]*$/.test(part)) path += path === '' ? part : `.${part}`;
    else path += `[${JSON.stringify(part)}]`;
  }
  return path === '' ? '(top level)' : path;
}

function describe(error: ErrorObject, quoteValues: boolean): string {
  const parent = error.parentSchema as SchemaObject | undefined;
  switch (error.keyword) {
    case 'additionalProperties': {
      const field = (error.params as { additionalProperty: string }).additionalProperty;
      return `${fieldPath(error.instancePath, field)}: unknown field; expected ${knownFields(parent)}`;
    }
    case 'required': {
      const field = (error.params as { missingProperty: string }).missingProperty;
      const expected = (parent?.properties as Record<string, SchemaObject> | undefined)?.[field]?.description;
      return `${fieldPath(error.instancePath, field)}: missing; expected ${expected ?? 'a value'}`;
    }
    default:
      return `${fieldPath(error.instancePath)}: expected ${parent?.description ?? error.message ?? 'a valid value'}`
        + (quoteValues ? `, got ${shortJson(error.data)}` : '');
  }
}

function knownFields(schema: SchemaObject | undefined): string {
  const names = Object.keys((schema?.properties as object | undefined) ?? {});
  const patterns = Object.keys((schema?.patternProperties as object | undefined) ?? {});
  if (names.length > 0) return `one of ${names.join(', ')}`;
  if (schema?.description !== undefined) return String(schema.description);
  if (patterns.length > 0) return `a name matching ${patterns.join(' or ')}`;
  return 'no fields here';
}

function shortJson(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
