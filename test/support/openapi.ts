import spectralCore, { type RulesetDefinition } from '@stoplight/spectral-core';
import spectralParsers from '@stoplight/spectral-parsers';
import spectralRulesets from '@stoplight/spectral-rulesets';
import ajvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import ajvFormats from 'ajv-formats';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';

/**
 * The HTTP contract, checked from the outside as an integrator's tools would check it:
 *
 * - `contractProxy`: a real HTTP proxy in front of the app that holds every response it passes on
 *   to the OpenAPI document (operation, declared status, content type, body schema, required headers);
 * - `lintDocument`: Spectral's `spectral:oas` ruleset over the document;
 * - `compileAndRunClient`: openapi-typescript types and an openapi-fetch client, compiled with
 *   `tsc --strict` and run against the service.
 */

// ---------------------------------------------------------------------------------------------
// The OpenAPI 3.0 document, as much of it as these checks read.

/** An OpenAPI 3.0 schema object (or reference), as the document has it. */
export type OpenApiSchema = { [keyword: string]: unknown };
type Reference = { $ref: string };
type HeaderObject = { required?: boolean; schema?: OpenApiSchema | Reference; description?: string };
type MediaTypeObject = { schema?: OpenApiSchema | Reference };
type ResponseObject = { description?: string; headers?: Record<string, HeaderObject | Reference>; content?: Record<string, MediaTypeObject> };
type OperationObject = { operationId?: string; responses?: Record<string, ResponseObject | Reference>; [field: string]: unknown };
export type OpenApiDocument = {
  openapi: string;
  info?: { title?: string; version?: string };
  servers?: { url: string }[];
  paths: Record<string, Record<string, OperationObject | unknown>>;
  components?: {
    schemas?: Record<string, OpenApiSchema>;
    responses?: Record<string, ResponseObject | Reference>;
    headers?: Record<string, HeaderObject | Reference>;
    [kind: string]: unknown;
  };
  [field: string]: unknown;
};

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Every operation of the document: its id (or `METHOD /template` when it has none), method and path template. */
export const operationsOf = (document: OpenApiDocument): { operationId: string; method: string; template: string; operation: OperationObject }[] =>
  Object.entries(document.paths ?? {}).flatMap(([template, item]) =>
    HTTP_METHODS.filter((method) => item?.[method] !== undefined).map((method) => {
      const operation = item[method] as OperationObject;
      return { operationId: operation.operationId ?? `${method.toUpperCase()} ${template}`, method, template, operation };
    }),
  );

const isReference = (value: unknown): value is Reference => typeof value === 'object' && value !== null && typeof (value as Reference).$ref === 'string';

/** `#/a/b~1c` → the value at that JSON pointer in the document. */
const resolvePointer = (document: unknown, ref: string): unknown => {
  if (!ref.startsWith('#/')) throw new Error(`only local references are supported, not ${ref}`);
  let node: unknown = document;
  for (const part of ref.slice(2).split('/').map((p) => decodeURIComponent(p).replace(/~1/g, '/').replace(/~0/g, '~'))) {
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part] : undefined;
    if (node === undefined) throw new Error(`${ref} does not resolve in the document`);
  }
  return node;
};

/** Follows `$ref`s (responses, headers) to the object they name. */
const deref = <T>(document: OpenApiDocument, value: T | Reference): T => {
  for (let hops = 0; isReference(value); hops++) {
    if (hops > 20) throw new Error(`reference cycle at ${value.$ref}`);
    value = resolvePointer(document, value.$ref) as T | Reference;
  }
  return value;
};

const pointerSegment = (segment: string) => encodeURIComponent(segment.replace(/~/g, '~0').replace(/\//g, '~1'));

// ---------------------------------------------------------------------------------------------
// OpenAPI 3.0 schemas → JSON Schema (draft-07) for ajv.

const CLOSED_ROOT = 'https://contract.eventix.test/components/closed.json';
const OPEN_ROOT = 'https://contract.eventix.test/components/open.json';
const COMPONENT_REF = /^#\/components\/schemas\/([^/]+)$/;

/** OpenAPI-only keywords: annotations without meaning to JSON Schema. */
const OPENAPI_ONLY = new Set(['nullable', 'discriminator', 'example', 'xml', 'externalDocs', 'deprecated']);

/** What an object schema lets through as property names: a finite set, `open` (any), or `not-object`. */
type Admits = { kind: 'finite'; names: Set<string> } | { kind: 'open' } | { kind: 'not-object' };

/**
 * Converts OpenAPI 3.0 schemas to JSON Schema, with these rules:
 *
 * - `nullable: true` admits null: `type: [T, 'null']` (and null added to an `enum`) on a plain
 *   schema; `anyOf: [<the schema>, {type: 'null'}]` on one without `type` or with a composition,
 *   such as the `{nullable: true, allOf: [{$ref}]}` Nest writes for a nullable reference.
 * - `$ref: '#/components/schemas/X'` points at X in one of two ajv schemas holding every component
 *   (closed and open variants, see below); as OpenAPI 3.0 says, keywords beside a `$ref` are ignored.
 * - Boolean `exclusiveMinimum`/`exclusiveMaximum` become the numeric draft-07 form.
 * - Objects are closed: a schema with `properties` and no `additionalProperties` gets
 *   `additionalProperties: false`, so a field the document does not declare is a mismatch. Only where
 *   sound: when an object is made of several parts (own `properties`, `allOf` members, `anyOf`/`oneOf`
 *   branches), the parts are used open and the whole is closed over the union of their property
 *   names; when one part is open (free-form, or `additionalProperties` given), nothing is closed. A
 *   lone `anyOf`/`oneOf` keeps each branch closed (each is a whole alternative), and so does a lone
 *   one-member `allOf`. A `not` is never closed (that would turn it into "not exactly these fields").
 */
export class SchemaConverter {
  private readonly components: Record<string, OpenApiSchema>;
  /** Where in the document each converted schema comes from (a JSON pointer), for messages. */
  readonly locations = new WeakMap<object, string>();

  constructor(document: OpenApiDocument) {
    this.components = document.components?.schemas ?? {};
  }

  /** The two schemas to add to ajv before compiling any converted schema: every component, closed and open. */
  componentSchemas(): { $id: string; definitions: Record<string, unknown> }[] {
    const at = (name: string) => `#/components/schemas/${pointerSegment(name)}`;
    const closed = Object.fromEntries(Object.entries(this.components).map(([name, schema]) => [name, this.convert(schema, false, at(name))]));
    const open = Object.fromEntries(Object.entries(this.components).map(([name, schema]) => [name, this.convert(schema, true, at(name))]));
    return [
      { $id: CLOSED_ROOT, definitions: closed },
      { $id: OPEN_ROOT, definitions: open },
    ];
  }

  private componentName(ref: string): string {
    const name = COMPONENT_REF.exec(ref)?.[1];
    if (name === undefined) throw new Error(`only references to #/components/schemas/… are supported in schemas, not ${ref}`);
    const decoded = decodeURIComponent(name).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!(decoded in this.components)) throw new Error(`${ref} names no schema in components.schemas`);
    return decoded;
  }

  /** The property names `schema` admits, looked up through references, compositions and all. */
  admits(schema: unknown, seen: ReadonlySet<string> = new Set()): Admits {
    if (typeof schema !== 'object' || schema === null) return { kind: 'open' }; // `true`, `{}`-like
    if (isReference(schema)) {
      const name = this.componentName(schema.$ref);
      if (seen.has(name)) return { kind: 'open' }; // a recursive shape: not worth the risk
      return this.admits(this.components[name], new Set([...seen, name]));
    }
    const s = schema as OpenApiSchema;
    if (s.additionalProperties !== undefined && s.additionalProperties !== false) return { kind: 'open' };
    const allOf = (s.allOf as unknown[] | undefined) ?? [];
    const alternatives = [...((s.anyOf as unknown[] | undefined) ?? []), ...((s.oneOf as unknown[] | undefined) ?? [])];
    const names = new Set(Object.keys((s.properties as object | undefined) ?? {}));
    let objectLike = s.properties !== undefined || s.additionalProperties === false;
    for (const part of [...allOf, ...alternatives]) {
      const admitted = this.admits(part, seen);
      if (admitted.kind === 'open') return admitted;
      if (admitted.kind === 'finite') {
        objectLike = true;
        admitted.names.forEach((n) => names.add(n));
      }
    }
    if (objectLike) return { kind: 'finite', names };
    const type = s.type;
    if (typeof type === 'string' && type !== 'object') return { kind: 'not-object' };
    if (Array.isArray(type) && !type.includes('object')) return { kind: 'not-object' };
    if (s.enum !== undefined || s.const !== undefined || s.format !== undefined) return { kind: 'not-object' };
    return { kind: 'open' }; // `type: object` without properties, or no type at all: anything goes
  }

  /**
   * The JSON Schema of `schema`. `open` leaves its top level (and the parts that make it up) open:
   * for a schema used as one part of a larger object, which is closed over all its parts' names.
   */
  convert(schema: unknown, open = false, at = '#'): unknown {
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return schema;
    if (isReference(schema)) {
      const name = this.componentName(schema.$ref);
      return this.located({ $ref: `${open ? OPEN_ROOT : CLOSED_ROOT}#/definitions/${pointerSegment(name)}` }, at);
    }
    const s = schema as OpenApiSchema;
    const out: Record<string, unknown> = this.located({}, at);
    for (const [keyword, value] of Object.entries(s)) {
      if (OPENAPI_ONLY.has(keyword) || keyword.startsWith('x-')) continue;
      if (['properties', 'items', 'additionalProperties', 'allOf', 'anyOf', 'oneOf', 'not', 'exclusiveMinimum', 'exclusiveMaximum'].includes(keyword)) continue;
      out[keyword] = value;
    }
    for (const [bound, exclusive] of [
      ['minimum', 'exclusiveMinimum'],
      ['maximum', 'exclusiveMaximum'],
    ] as const) {
      const flag = s[exclusive];
      if (typeof flag === 'number') out[exclusive] = flag;
      else if (flag === true && typeof s[bound] === 'number') {
        out[exclusive] = s[bound];
        delete out[bound];
      }
    }
    if (s.items !== undefined) out.items = Array.isArray(s.items) ? s.items.map((item, i) => this.convert(item, false, `${at}/items/${i}`)) : this.convert(s.items, false, `${at}/items`);
    // Open: closed inside a negation, a schema would fail on any other field, and its `not` pass on anything.
    if (s.not !== undefined) out.not = this.convert(s.not, true, `${at}/not`);
    if (s.additionalProperties !== undefined)
      out.additionalProperties = typeof s.additionalProperties === 'object' ? this.convert(s.additionalProperties, false, `${at}/additionalProperties`) : s.additionalProperties;
    const properties = s.properties as Record<string, unknown> | undefined;
    if (properties !== undefined)
      out.properties = Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, this.convert(property, false, `${at}/properties/${pointerSegment(name)}`)]));

    const allOf = (s.allOf as unknown[] | undefined) ?? [];
    const alternatives = (['anyOf', 'oneOf'] as const).filter((k) => Array.isArray(s[k]) && (s[k] as unknown[]).length > 0);
    // The parts that make up this object: its own properties, each allOf member, and the alternatives as one.
    const parts = (properties !== undefined ? 1 : 0) + allOf.length + (alternatives.length > 0 ? 1 : 0);
    const severalParts = parts > 1;
    const admitted = this.admits(s);
    const closeHere = !open && s.additionalProperties === undefined && admitted.kind === 'finite' && (properties !== undefined || severalParts);
    // Parts are used open whenever something else may add properties beside them.
    const partsOpen = open || severalParts;
    if (allOf.length > 0) out.allOf = allOf.map((member, i) => this.convert(member, partsOpen, `${at}/allOf/${i}`));
    for (const k of alternatives) out[k] = (s[k] as unknown[]).map((branch, i) => this.convert(branch, partsOpen, `${at}/${k}/${i}`));
    if (closeHere && admitted.kind === 'finite') {
      // additionalProperties sees only the `properties` beside it: name every part's properties here.
      const named = (out.properties ?? {}) as Record<string, unknown>;
      for (const name of admitted.names) if (!(name in named)) named[name] = true;
      out.properties = named;
      out.additionalProperties = false;
    }

    if (s.nullable !== true) return out;
    const composed = allOf.length > 0 || alternatives.length > 0;
    if (typeof out.type === 'string' && !composed) {
      out.type = [out.type, 'null'];
      if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
      return out;
    }
    if (Array.isArray(out.type) && !composed) {
      if (!out.type.includes('null')) out.type = [...out.type, 'null'];
      if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
      return out;
    }
    return this.located({ anyOf: [out, this.located({ type: 'null' }, `${at} (nullable)`)] }, at);
  }

  private located<T extends object>(converted: T, at: string): T {
    this.locations.set(converted, at);
    return converted;
  }
}

const Ajv = ajvModule.default;
const addFormats = ajvFormats.default;
type AjvInstance = InstanceType<typeof Ajv>;

/** An ajv that knows the document's components, OpenAPI's formats, and compiles each schema once. */
const schemaValidator = (document: OpenApiDocument) => {
  const converter = new SchemaConverter(document);
  const ajv: AjvInstance = new Ajv({ strict: false, allErrors: true, verbose: true }); // verbose: errors carry their schema, to name its place
  addFormats(ajv);
  // OpenAPI's own formats (ajv-formats does not know them).
  const inRange = (min: number, max: number) => (n: number) => Number.isInteger(n) && n >= min && n <= max;
  ajv.addFormat('int32', { type: 'number', validate: inRange(-(2 ** 31), 2 ** 31 - 1) });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('float', { type: 'number', validate: () => true });
  ajv.addFormat('double', { type: 'number', validate: () => true });
  ajv.addFormat('byte', /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
  ajv.addFormat('binary', true);
  ajv.addFormat('password', true);
  for (const root of converter.componentSchemas()) ajv.addSchema(root);
  const compiled = new Map<string, ValidateFunction>();
  return {
    converter,
    /** The validator of the schema at `where` (a JSON pointer into the document, for the cache and messages). */
    validator: (where: string, schema: unknown): ValidateFunction => {
      let validate = compiled.get(where);
      if (!validate) {
        validate = ajv.compile(converter.convert(schema, false, where) as object);
        compiled.set(where, validate);
      }
      return validate;
    },
  };
};

// ---------------------------------------------------------------------------------------------
// Finding the operation and the declared response of a real response.

type Route = { template: string; segments: { literal?: string; param?: string }[] };

const routesOf = (document: OpenApiDocument): Route[] =>
  Object.keys(document.paths ?? {}).map((template) => ({
    template,
    segments: template
      .split('/')
      .slice(1)
      .map((segment) => (/^\{[^}]+\}$/.test(segment) ? { param: segment.slice(1, -1) } : { literal: segment })),
  }));

/** The path prefix of the document's first server (`/api` of `https://x/api`), if any. */
const basePathOf = (document: OpenApiDocument): string => {
  const url = document.servers?.[0]?.url;
  if (!url) return '';
  const path = new URL(url, 'http://server.invalid').pathname.replace(/\/+$/, '');
  return path === '/' ? '' : path;
};

const decodeSegment = (segment: string) => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

/**
 * The path template `path` falls under, among those with `method`: the one whose literal segments
 * come first wins (`/me/bookings` over `/{a}/bookings`), as a router would prefer them.
 */
const matchRoute = (document: OpenApiDocument, routes: Route[], method: string, path: string) => {
  const segments = path.split('/').slice(1).map(decodeSegment);
  const candidates = routes.filter(
    (route) => route.segments.length === segments.length && route.segments.every((s, i) => (s.literal !== undefined ? s.literal === segments[i] : segments[i] !== '')),
  );
  const rank = (route: Route) => route.segments.map((s) => (s.literal !== undefined ? '0' : '1')).join('');
  candidates.sort((a, b) => rank(a).localeCompare(rank(b)));
  const withMethod = candidates.find((route) => document.paths[route.template]?.[method] !== undefined);
  return { route: withMethod, candidates };
};

/** `application/json; charset=utf-8` → `application/json`. */
const mediaTypeOf = (contentType: string | undefined) => (contentType ?? '').split(';')[0].trim().toLowerCase();

const isJson = (media: string) => media === 'application/json' || /^application\/[^/]+\+json$/.test(media);

/** The declared media type for `media`: exact, else `type/*`, else `*\/*`. */
const declaredMedia = (content: Record<string, MediaTypeObject>, media: string): [string, MediaTypeObject] | undefined => {
  const entries = Object.entries(content).map(([key, value]) => [mediaTypeOf(key), value, key] as const);
  const exact = entries.find(([key]) => key === media);
  const family = entries.find(([key]) => key === `${media.split('/')[0]}/*`);
  const any = entries.find(([key]) => key === '*/*');
  const found = exact ?? family ?? any;
  return found ? [found[2], found[1]] : undefined;
};

// ---------------------------------------------------------------------------------------------
// The proxy.

/** One response the proxy passed on, and what the document said about it. */
export type ContractRecord = {
  method: string;
  /** The request's path, without the query. */
  path: string;
  /** The request's path and query, as sent. */
  url: string;
  /** The path template it fell under, when one did. */
  template?: string;
  operationId?: string;
  status: number;
  contentType?: string;
  ok: boolean;
  errors: string[];
  /** The body as received (truncated), for messages. */
  body?: string;
};

export type ContractProxy = {
  url: string;
  records: ContractRecord[];
  close: () => Promise<void>;
};

const BODY_SHOWN = 800;
const VALUE_SHOWN = 120;

const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}… (${text.length} characters in all)` : text);

/** The value at an ajv instancePath (`/items/0/price`) in `data`. */
const valueAt = (data: unknown, instancePath: string): unknown => {
  let node = data;
  for (const part of instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
};

/** Where the failing keyword is, in the document (`#/components/schemas/Booking/properties/status/enum`). */
const schemaPathOf = (error: ErrorObject, locations: WeakMap<object, string>) => {
  const at = typeof error.parentSchema === 'object' && error.parentSchema !== null ? locations.get(error.parentSchema) : undefined;
  return at ? `${at}/${error.keyword}` : error.schemaPath;
};

/**
 * The errors worth reading: what `nullable` added (the `type: null` branch of its anyOf, and the
 * anyOf's own "must match a schema") is left out where the real error below it is shown.
 */
const meaningfulErrors = (errors: ErrorObject[]): ErrorObject[] =>
  errors.filter((error) => {
    const deeper = errors.some((other) => other !== error && (other.instancePath === error.instancePath || other.instancePath.startsWith(`${error.instancePath}/`)) && other.keyword !== 'anyOf' && !isNullBranch(other));
    if (isNullBranch(error)) return !deeper;
    if (error.keyword === 'anyOf') return !deeper;
    return true;
  });

const isNullBranch = (error: ErrorObject) => error.keyword === 'type' && (error.params as { type?: unknown }).type === 'null' && /\/anyOf\/\d+\/type$/.test(error.schemaPath);

const ERRORS_SHOWN = 15;

/** One ajv error as a line: where, what, and the value found there. */
const describeAjvError = (error: ErrorObject, data: unknown, locations: WeakMap<object, string>): string => {
  const where = error.instancePath || '(the body)';
  let what = error.message ?? error.keyword;
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') what += `: "${String(params.additionalProperty)}" (not declared in the schema)`;
  else if (error.keyword === 'enum') what += ` ${JSON.stringify(params.allowedValues)}`;
  else if (error.keyword === 'const') what += ` ${JSON.stringify(params.allowedValue)}`;
  const value = valueAt(data, error.instancePath);
  const shown = value === undefined ? '' : `, got ${truncate(JSON.stringify(value), VALUE_SHOWN)}`;
  return `${where} ${what}${shown}  [${schemaPathOf(error, locations)}]`;
};

/** A record as a readable block: the request, the answer, each reason, and the body. */
export const formatRecord = (record: ContractRecord): string => {
  const operation = record.operationId ? ` (${record.operationId}, ${record.template})` : record.template ? ` (${record.template})` : '';
  const lines = [`${record.method} ${record.url} → ${record.status} ${record.contentType ?? '(no content-type)'}${operation}`];
  for (const error of record.errors) lines.push(`  - ${error.replace(/\n/g, '\n    ')}`);
  if (record.body !== undefined && record.body !== '') lines.push(`  body: ${record.body}`);
  return lines.join('\n');
};

/** Every mismatch, readably: for a failing assertion's message. */
export const formatMismatches = (records: ContractRecord[]): string =>
  records.length === 0 ? 'no mismatches' : `${records.length} response(s) do not match the OpenAPI document:\n\n${records.map(formatRecord).join('\n\n')}`;

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

const withoutHopByHop = (headers: IncomingHttpHeaders): OutgoingHttpHeaders =>
  Object.fromEntries(Object.entries(headers).filter(([name, value]) => !HOP_BY_HOP.has(name.toLowerCase()) && value !== undefined)) as OutgoingHttpHeaders;

const decodeBody = (raw: Buffer, encoding: string | undefined): Buffer => {
  switch ((encoding ?? '').trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return gunzipSync(raw);
    case 'deflate':
      return inflateSync(raw);
    case 'br':
      return brotliDecompressSync(raw);
    default:
      return raw;
  }
};

/**
 * A proxy on 127.0.0.1 in front of `targetUrl` (the app) that passes every request and response
 * through unchanged, and holds each response to `document`: the operation (method and path
 * template), the response declared for that very status (`default` does not count), its content
 * type, the body against the schema (JSON bodies; text bodies as strings), and the headers the
 * response declares `required`. Server-Sent Events are piped through as they come, and only their
 * status, content type and headers are checked.
 */
export const contractProxy = async (targetUrl: string, document: OpenApiDocument): Promise<ContractProxy> => {
  const target = new URL(targetUrl);
  const routes = routesOf(document);
  const basePath = basePathOf(document);
  const schemas = schemaValidator(document);
  const records: ContractRecord[] = [];

  /** Everything about the response except its body; returns the declared media type, for the body's check. */
  const checkHead = (method: string, path: string, status: number, headers: IncomingHttpHeaders, record: ContractRecord, bodyEmpty: boolean | undefined) => {
    const errors = record.errors;
    if (basePath && !path.startsWith(basePath)) {
      errors.push(`the path is outside the document's server path ${basePath}`);
      return undefined;
    }
    const { route, candidates } = matchRoute(document, routes, method.toLowerCase(), path.slice(basePath.length) || '/');
    if (!route) {
      errors.push(
        candidates.length === 0
          ? `the document has no path template for ${path}`
          : `the document has no ${method} operation on ${candidates.map((c) => `${c.template} (${Object.keys(document.paths[c.template]).filter((m) => (HTTP_METHODS as readonly string[]).includes(m)).map((m) => m.toUpperCase()).join(', ')})`).join(', ')}`,
      );
      return undefined;
    }
    record.template = route.template;
    const operation = document.paths[route.template][method.toLowerCase()] as OperationObject;
    record.operationId = operation.operationId ?? `${method} ${route.template}`;
    const responses = operation.responses ?? {};
    const declared = responses[String(status)];
    if (declared === undefined) {
      const statuses = Object.keys(responses);
      errors.push(`status ${status} is not declared (the operation declares ${statuses.length > 0 ? statuses.join(', ') : 'no responses'}; \`default\` and ranges do not count)`);
      return undefined;
    }
    const responsePointer = `#/paths/${pointerSegment(route.template)}/${method.toLowerCase()}/responses/${status}`;
    const response = deref(document, declared);

    for (const [name, header] of Object.entries(response.headers ?? {})) {
      if (name.toLowerCase() === 'content-type') continue; // OpenAPI: described by `content`, a header entry is ignored
      const declaredHeader = deref(document, header);
      const value = headers[name.toLowerCase()];
      if (value === undefined) {
        if (declaredHeader.required) errors.push(`the required header ${name} is missing`);
        continue;
      }
      if (declaredHeader.schema === undefined) continue;
      const text = Array.isArray(value) ? value.join(', ') : value;
      const resolved = isReference(declaredHeader.schema) ? (resolvePointer(document, declaredHeader.schema.$ref) as OpenApiSchema) : declaredHeader.schema;
      const type = resolved.type;
      const typed = type === 'integer' || type === 'number' ? (text.trim() === '' ? text : Number(text)) : type === 'boolean' ? (text === 'true' ? true : text === 'false' ? false : text) : text;
      const validate = schemas.validator(`${responsePointer}/headers/${pointerSegment(name)}/schema`, declaredHeader.schema);
      if (!validate(typed)) errors.push(`header ${name}: ${JSON.stringify(text)} does not match its schema: ${(validate.errors ?? []).map((e) => e.message).join('; ')}`);
    }

    const media = mediaTypeOf(headers['content-type']);
    const content = response.content ?? {};
    const declaredTypes = Object.keys(content);
    if (status === 304 || status === 204 || method === 'HEAD') {
      if (bodyEmpty === false) errors.push(`a ${status} answer must have no body`);
      return undefined;
    }
    if (bodyEmpty === true) {
      if (declaredTypes.some((key) => content[key].schema !== undefined)) errors.push(`the body is empty, but the document declares ${declaredTypes.join(', ')} for ${status}`);
      return undefined;
    }
    if (media === '') {
      errors.push(`the response has a body but no Content-Type (declared: ${declaredTypes.join(', ') || 'no content'})`);
      return undefined;
    }
    if (declaredTypes.length === 0) {
      errors.push(`the response is ${media}, but the document declares no content for ${status}`);
      return undefined;
    }
    const found = declaredMedia(content, media);
    if (!found) {
      errors.push(`the response is ${media}, but the document declares ${declaredTypes.join(', ')} for ${status}`);
      return undefined;
    }
    return { key: found[0], media: found[1], pointer: `${responsePointer}/content/${pointerSegment(found[0])}/schema`, actual: media };
  };

  const checkBody = (record: ContractRecord, declared: NonNullable<ReturnType<typeof checkHead>>, raw: Buffer, encoding: string | undefined) => {
    let text: string;
    try {
      text = decodeBody(raw, encoding).toString('utf8');
    } catch (error) {
      record.errors.push(`the body does not decode as its Content-Encoding ${encoding} says: ${(error as Error).message}`);
      return;
    }
    record.body = truncate(text, BODY_SHOWN);
    if (declared.media.schema === undefined) {
      record.errors.push(`the document declares ${declared.key} for ${record.status} with no schema`);
      return;
    }
    let data: unknown = text;
    if (isJson(declared.actual)) {
      try {
        data = JSON.parse(text);
      } catch (error) {
        record.errors.push(`the body is not JSON (${(error as Error).message})`);
        return;
      }
    }
    const validate = schemas.validator(declared.pointer, declared.media.schema);
    if (!validate(data)) {
      const where = isReference(declared.media.schema) ? declared.media.schema.$ref : declared.pointer;
      const errors = meaningfulErrors(validate.errors ?? []);
      const lines = errors.slice(0, ERRORS_SHOWN).map((e) => `  ${describeAjvError(e, data, schemas.converter.locations)}`);
      if (errors.length > ERRORS_SHOWN) lines.push(`  … and ${errors.length - ERRORS_SHOWN} more`);
      record.errors.push(`the body does not match ${where}:\n${lines.join('\n')}`);
    }
  };

  const finish = (record: ContractRecord) => {
    record.ok = record.errors.length === 0;
    records.push(record);
  };

  const server = createServer((clientRequest: IncomingMessage, clientResponse: ServerResponse) => {
    const method = (clientRequest.method ?? 'GET').toUpperCase();
    const url = clientRequest.url ?? '/';
    const path = url.split('?')[0];
    let answered = false;
    let clientGone = false;
    const upstream = httpRequest(
      { protocol: target.protocol, hostname: target.hostname, port: target.port, method, path: url, headers: { ...withoutHopByHop(clientRequest.headers), host: target.host }, agent: false },
      (appResponse) => {
        answered = true;
        const status = appResponse.statusCode ?? 0;
        const record: ContractRecord = { method, path, url, status, contentType: appResponse.headers['content-type'], ok: false, errors: [] };
        const headers = withoutHopByHop(appResponse.headers);
        if (mediaTypeOf(appResponse.headers['content-type']) === 'text/event-stream') {
          // A stream that may never end: checked on its head, then piped as it comes.
          checkHead(method, path, status, appResponse.headers, record, undefined);
          finish(record);
          clientResponse.writeHead(status, headers);
          clientResponse.flushHeaders();
          appResponse.pipe(clientResponse);
          return;
        }
        const chunks: Buffer[] = [];
        appResponse.on('data', (chunk: Buffer) => chunks.push(chunk));
        appResponse.on('error', (error) => {
          record.errors.push(`the app's response broke off: ${error.message}`);
          finish(record);
          clientResponse.destroy(error);
        });
        appResponse.on('end', () => {
          const raw = Buffer.concat(chunks);
          try {
            const declared = checkHead(method, path, status, appResponse.headers, record, raw.length === 0);
            if (declared) checkBody(record, declared, raw, appResponse.headers['content-encoding'] as string | undefined);
            else if (raw.length > 0 && record.body === undefined) record.body = truncate(raw.toString('utf8'), BODY_SHOWN);
          } catch (error) {
            record.errors.push(`the check itself failed: ${(error as Error).stack ?? String(error)}`);
          }
          // Recorded before the client has the answer, so a test that awaited it finds its record.
          finish(record);
          clientResponse.writeHead(status, headers);
          clientResponse.end(raw);
        });
      },
    );
    upstream.on('error', (error) => {
      // The app answered (say, 413 before the whole body was sent): that answer stands. Or the client hung up.
      if (answered || clientGone) return;
      const record: ContractRecord = { method, path, url, status: 502, ok: false, errors: [`the app gave no answer: ${error.message}`] };
      finish(record);
      if (!clientResponse.headersSent) clientResponse.writeHead(502, { 'content-type': 'text/plain' });
      clientResponse.end(`contract proxy: the app gave no answer: ${error.message}`);
    });
    // The client hung up (an event stream it has read enough of, say): so does the proxy, towards the app.
    clientResponse.on('close', () => {
      if (clientResponse.writableFinished) return;
      clientGone = true;
      upstream.destroy();
    });
    clientRequest.pipe(upstream);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    records,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};

// ---------------------------------------------------------------------------------------------
// Spectral.

/** One validator per document for request bodies: its components are compiled once, not per body. */
const requestValidatorsOf = new WeakMap<OpenApiDocument, ReturnType<typeof schemaValidator>>();
const requestValidators = (document: OpenApiDocument) => {
  let validators = requestValidatorsOf.get(document);
  if (!validators) requestValidatorsOf.set(document, (validators = schemaValidator(document)));
  return validators;
};

/**
 * What the document says of a request body for an operation: the ajv errors of the body against its
 * `application/json` schema, objects closed (the validation pipe refuses unknown fields); [] when it is allowed.
 */
export const requestBodyErrors = (document: OpenApiDocument, operationId: string, body: unknown): string[] => {
  const found = operationsOf(document).find((operation) => operation.operationId === operationId);
  if (!found) throw new Error(`${operationId} is not an operation of the document`);
  const requestBody = deref(document, found.operation.requestBody as { content?: Record<string, MediaTypeObject> } | Reference | undefined);
  const schema = requestBody?.content?.['application/json']?.schema;
  if (!schema) throw new Error(`${operationId} has no application/json request body in the document`);
  const validate = requestValidators(document).validator(`${found.template} ${found.method} requestBody`, schema);
  return validate(body) ? [] : meaningfulErrors(validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message}`);
};

export type LintResult = {
  errors: string[];
  warnings: string[];
  /** Spectral's info and hint diagnostics. */
  others: string[];
};

/** The document through Spectral's `spectral:oas` ruleset (recommended rules), as `spectral lint` with `.spectral.yaml` does. */
export const lintDocument = async (document: OpenApiDocument): Promise<LintResult> => {
  const { Spectral, Document } = spectralCore;
  const spectral = new Spectral();
  // The package's ruleset object is typed looser than RulesetDefinition (its `rules` union); it is one.
  spectral.setRuleset({ extends: [[spectralRulesets.oas as RulesetDefinition, 'recommended']] });
  const source = JSON.stringify(document, null, 2);
  const diagnostics = await spectral.run(new Document(source, spectralParsers.Json, 'openapi.json'));
  const line = (d: (typeof diagnostics)[number]) => `${d.code} at ${d.path.join('.') || '(root)'} (line ${d.range.start.line + 1}): ${d.message}`;
  return {
    errors: diagnostics.filter((d) => d.severity === 0).map(line),
    warnings: diagnostics.filter((d) => d.severity === 1).map(line),
    others: diagnostics.filter((d) => d.severity > 1).map(line),
  };
};

// ---------------------------------------------------------------------------------------------
// A typed client, generated, compiled and run.

const GENERATED_DIR = fileURLToPath(new URL('../.generated/', import.meta.url));
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

/**
 * What an integrator would write from the document alone: every response field it reads is read
 * directly (data.id…), so a response typed `never`, `unknown` or without the field fails to compile.
 */
const CLIENT_SOURCE = `// Written by test/support/openapi.ts (compileAndRunClient); types from the served OpenAPI document.
import createClient from 'openapi-fetch';
import type { paths } from './eventix-api.js';

const need = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(\`\${name} is not set\`);
  return value;
};

const baseUrl = need('EVENTIX_URL');
const organiser = createClient<paths>({ baseUrl, headers: { Authorization: \`Bearer \${need('EVENTIX_ORGANISER_TOKEN')}\` } });
const buyer = createClient<paths>({ baseUrl, headers: { Authorization: \`Bearer \${need('EVENTIX_BUYER_TOKEN')}\` } });

/** A step that did not answer as the flow needs: which, with the status and the problem. */
const failed = (step: string, response: Response, error: unknown): Error =>
  new Error(\`\${step}: \${response.status} \${JSON.stringify(error)}\`);

const venue = await organiser.POST('/venues', { body: { name: 'Generated Client Hall', location: 'Typed Street 1', capacity: 2 } });
if (venue.error !== undefined || venue.data === undefined) throw failed('createVenue', venue.response, venue.error);
const venueId: string = venue.data.id;
const venuePosition: string = venue.data.position;

const added = await organiser.POST('/venues/{venueId}/seats', {
  params: { path: { venueId } },
  body: { seats: [{ row: 'A', number: 1, type: 'VIP' }, { row: 'A', number: 2, type: 'REGULAR' }] },
});
if (added.error !== undefined || added.data === undefined) throw failed('addSeats', added.response, added.error);
const seatIds: string[] = added.data.seats.map((seat) => seat.seatId);
const seatCount: number = added.data.count;

const created = await organiser.POST('/events', {
  body: {
    venueId,
    name: 'Generated Client Night',
    startTime: '2031-03-01T19:00:00Z',
    endTime: '2031-03-01T22:00:00Z',
    prices: [{ seatType: 'VIP', price: '80.00' }, { seatType: 'REGULAR', price: 45.5 }],
  },
});
if (created.error !== undefined || created.data === undefined) throw failed('createEvent', created.response, created.error);
const eventId: string = created.data.id;
const createdStatus: string = created.data.status;

const published = await organiser.POST('/events/{eventId}/publish', { params: { path: { eventId } } });
if (published.error !== undefined || published.data === undefined) throw failed('publishEvent', published.response, published.error);
const publishedStatus: string = published.data.status;
const publishedPosition: string = published.data.position;

const listed = await buyer.GET('/events', {
  params: { query: { limit: 5, offset: 0, status: 'PUBLISHED' }, header: { 'X-Min-Position': publishedPosition } },
});
if (listed.error !== undefined || listed.data === undefined) throw failed('listEvents', listed.response, listed.error);
const listedIds: string[] = listed.data.items.map((event) => event.id);

const seatMap = await buyer.GET('/events/{eventId}/seat-map', { params: { path: { eventId }, header: { 'X-Min-Position': publishedPosition } } });
if (seatMap.error !== undefined || seatMap.data === undefined) throw failed('getSeatMap', seatMap.response, seatMap.error);
const seatStatuses: string[] = seatMap.data.seats.map((seat) => \`\${seat.seatId}:\${seat.status}\`);

const placed = await buyer.POST('/bookings', {
  params: { header: { 'Idempotency-Key': \`generated-client-\${eventId}\` } },
  body: { eventId, seatIds: [seatIds[0]] },
});
if (placed.error !== undefined || placed.data === undefined) throw failed('placeBooking', placed.response, placed.error);
const bookingId: string = placed.data.id;
const bookingStatus: string = placed.data.status;
const bookingPosition: string = placed.data.position;

const fetched = await buyer.GET('/bookings/{id}', { params: { path: { id: bookingId }, header: { 'X-Min-Position': bookingPosition } } });
if (fetched.error !== undefined || fetched.data === undefined) throw failed('getBooking', fetched.response, fetched.error);
const fetchedId: string = fetched.data.id;
const fetchedStatus: string = fetched.data.status;

console.log(
  JSON.stringify({
    venueId, venuePosition, seatIds, seatCount, eventId, createdStatus, publishedStatus, publishedPosition,
    listedIds, seatStatuses, bookingId, bookingStatus, bookingPosition, fetchedId, fetchedStatus,
  }),
);
`;

export type ClientRun = {
  venueId: string;
  venuePosition: string;
  seatIds: string[];
  seatCount: number;
  eventId: string;
  createdStatus: string;
  publishedStatus: string;
  publishedPosition: string;
  listedIds: string[];
  seatStatuses: string[];
  bookingId: string;
  bookingStatus: string;
  bookingPosition: string;
  fetchedId: string;
  fetchedStatus: string;
};

export type ClientEnvironment = {
  /** Where the client sends its requests (the contract proxy, say). */
  EVENTIX_URL: string;
  /** A JWT (without "Bearer ") with the permission catalog:write. */
  EVENTIX_ORGANISER_TOKEN: string;
  /** A buyer's JWT (without "Bearer "). */
  EVENTIX_BUYER_TOKEN: string;
};

/** The compiler's or the program's failure, with everything it printed. */
export class GeneratedClientError extends Error {
  constructor(
    readonly stage: 'generate' | 'compile' | 'run',
    message: string,
  ) {
    super(message);
    this.name = 'GeneratedClientError';
  }
}

const outputOf = (error: unknown): string => {
  const { stdout, stderr, message } = error as { stdout?: string; stderr?: string; message?: string };
  return [stdout, stderr].filter((s) => s && s.trim() !== '').join('\n').trim() || (message ?? String(error));
};

/**
 * Generates types from `document` (openapi-typescript) into test/.generated/eventix-api.d.ts, writes
 * test/.generated/client.ts (an openapi-fetch client of a whole booking flow), compiles it with
 * `tsc --strict` (a type error fails, with the compiler's messages), runs the emitted JS with node
 * against `env.EVENTIX_URL`, and returns what it printed. Asynchronous throughout: the app may run in
 * this very process, and must go on answering while the client runs.
 */
export const compileAndRunClient = async (document: OpenApiDocument, env: ClientEnvironment): Promise<ClientRun> => {
  rmSync(GENERATED_DIR, { recursive: true, force: true });
  mkdirSync(GENERATED_DIR, { recursive: true });
  let types: string;
  try {
    // A copy: openapi-typescript resolves the document in place.
    types = astToString(await openapiTS(structuredClone(document) as unknown as OpenAPI3, { silent: true }));
  } catch (error) {
    throw new GeneratedClientError('generate', `openapi-typescript could not generate types from the document: ${(error as Error).stack ?? String(error)}`);
  }
  const typesFile = `${GENERATED_DIR}eventix-api.d.ts`;
  const clientFile = `${GENERATED_DIR}client.ts`;
  writeFileSync(typesFile, `// Generated by openapi-typescript from the served OpenAPI document (test/support/openapi.ts).\n${types}`);
  writeFileSync(clientFile, CLIENT_SOURCE);

  const tsc = join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const compilerOptions = ['--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--outDir', GENERATED_DIR, '--rootDir', GENERATED_DIR, '--pretty', 'false', '--noEmitOnError'];
  try {
    await run(process.execPath, [tsc, ...compilerOptions, clientFile], { cwd: PACKAGE_ROOT, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    throw new GeneratedClientError('compile', `The generated client does not compile against the document's types (tsc ${compilerOptions.join(' ')} test/.generated/client.ts):\n${outputOf(error)}`);
  }

  let stdout: string;
  try {
    ({ stdout } = await run(process.execPath, [`${GENERATED_DIR}client.js`], { cwd: PACKAGE_ROOT, env: { ...process.env, ...env }, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }));
  } catch (error) {
    throw new GeneratedClientError('run', `The generated client failed against ${env.EVENTIX_URL}:\n${outputOf(error)}`);
  }
  const last = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as ClientRun;
  } catch {
    throw new GeneratedClientError('run', `The generated client printed no JSON line: ${truncate(stdout, BODY_SHOWN)}`);
  }
};
