import { ApiProperty, type ApiPropertyOptions } from '@nestjs/swagger';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage.js';
import { getMetadataStorage } from 'class-validator';
import { targetConstructorToSchema } from 'class-validator-jsonschema';
import { defaultConverters, type ISchemaConverters } from 'class-validator-jsonschema/build/defaultConverters.js';
import { DECIMAL } from '../write/money.js';

type Schema = Record<string, unknown>;

/**
 * What this service's own validators (validation.ts) mean in JSON Schema. JSON Schema's maxLength
 * counts code points, as PostgreSQL's varchar(n) and MaxCharacters do.
 */
const CUSTOM_VALIDATORS: ISchemaConverters = {
  maxCharacters: (meta) => ({ type: 'string', maxLength: meta.constraints[0] as number }),
  // IsISO8601 also takes a bare date; the document promises the one form clients should send.
  isIso8601: { type: 'string', format: 'date-time' },
  isAmount: () => ({
    oneOf: [
      { type: 'string', pattern: DECIMAL.source, example: '45.00' },
      // The most DECIMAL (and DECIMAL(10,2)) holds; the event's currency may allow fewer decimals.
      { type: 'number', minimum: 0, maximum: 99_999_999.99, example: 45.5 },
    ],
    description: "An amount with at most 2 decimals, and no more than its currency has (none for JPY): a decimal string, or a JSON number",
  }),
};

/**
 * A validator neither class-validator-jsonschema nor CUSTOM_VALIDATORS knows would be documented
 * as just its property's type, a constraint the document does not show: refused, so it gets a converter.
 */
const assertConvertible = (target: Function) => {
  const storage = getMetadataStorage();
  for (const meta of storage.getTargetValidationMetadatas(target, '', true, false)) {
    const name = meta.constraintCls ? storage.getTargetValidatorConstraints(meta.constraintCls)[0]?.name : meta.type;
    if (name && !(name in defaultConverters) && !(name in CUSTOM_VALIDATORS)) {
      throw new Error(`${target.name}.${meta.propertyName}: the validator ${name} has no JSON Schema; add it to CUSTOM_VALIDATORS (src/openapi/validation-schemas.ts)`);
    }
  }
};

const schemaOf = (target: Function): Schema =>
  targetConstructorToSchema(target, {
    additionalConverters: CUSTOM_VALIDATORS,
    classTransformerMetadataStorage: defaultMetadataStorage,
    refPointerPrefix: '#/components/schemas/',
  }) as Schema;

const documented = new WeakSet<Function>();

/**
 * The OpenAPI description of every validated class (bodies, path parameters, queries), derived from
 * the class-validator decorators the validation pipe enforces, so that the document and the
 * service cannot drift: each property gets an @ApiProperty with its type, limits, pattern, enum and
 * format, merged into what the class says itself (descriptions, examples). Nested classes (@Type)
 * are documented as references to their own schema. An optional property (@IsOptional) may also be
 * null, as the pipe accepts.
 */
export const documentValidation = (targets: Iterable<Function> = validatedClasses()): void => {
  for (const target of targets) {
    if (documented.has(target)) continue;
    documented.add(target);
    assertConvertible(target);
    const schema = schemaOf(target);
    const required = new Set((schema.required as string[] | undefined) ?? []);
    for (const [property, propertySchema] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
      const nested = defaultMetadataStorage.findTypeMetadata(target, property)?.typeFunction() as Function | undefined;
      const options = nested && !isPrimitive(nested) ? nestedProperty(nested, propertySchema) : openApiSchema(propertySchema);
      ApiProperty({ ...options, required: required.has(property), ...(required.has(property) ? {} : { nullable: true }) } as ApiPropertyOptions)(target.prototype, property);
    }
  }
};

const isPrimitive = (type: Function) => type === Number || type === String || type === Boolean;

/** A list of nested objects, or one: a reference to the nested class's schema, documented in turn. */
const nestedProperty = (nested: Function, schema: Schema): ApiPropertyOptions => {
  documentValidation([nested]);
  const { items: _items, $ref: _ref, type, ...limits } = schema;
  return (type === 'array' ? { type: nested, isArray: true, ...limits } : { type: nested, ...limits }) as ApiPropertyOptions;
};

/** JSON Schema from class-validator-jsonschema, as OpenAPI 3.0 takes it: no `type` arrays, `items` kept. */
const openApiSchema = (schema: Schema): ApiPropertyOptions => {
  const { type, items, ...rest } = schema;
  if (type === 'array') return { type: 'array', items: items as Schema, ...rest } as ApiPropertyOptions;
  return { ...(type === undefined ? {} : { type }), ...rest } as ApiPropertyOptions;
};

/** Every class the validation decorators are on (class-validator's own registry). */
const validatedClasses = (): Function[] => {
  const storage = getMetadataStorage() as unknown as { validationMetadatas: Map<Function, unknown[]> };
  return [...storage.validationMetadatas.keys()].filter((target) => typeof target === 'function');
};
