/** Checks real HTTP responses against openapi.yaml: route, status, media type, required headers and body schema. */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsPlugin from 'ajv-formats';
import { parse } from 'yaml';

/** What the checks read of a supertest response. */
export interface ResponseLike {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text?: string | undefined;
}

type Json = Record<string, unknown>;

interface HeaderSpec {
  readonly required?: boolean;
  readonly schema?: Json;
}
interface ResponseSpec {
  readonly headers?: Readonly<Record<string, HeaderSpec | { $ref: string }>>;
  readonly content?: Readonly<Record<string, { schema?: Json }>>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const SPEC_FILE = new URL('../../openapi.yaml', import.meta.url);
const SCHEMAS_ID = 'tokenvend-openapi-schemas';

/** The spec, parsed once per test file. */
export const spec = parse(readFileSync(SPEC_FILE, 'utf8')) as Json;
const paths = spec.paths as Readonly<Record<string, Json>>;
const components = spec.components as Json;

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormatsPlugin.default(ajv);
// OpenAPI 3.1 adds these keywords to the 2020-12 dialect (OAS 3.1 §4.8.24); they assert nothing.
ajv.addVocabulary(['discriminator', 'xml', 'externalDocs', 'example']);
// Every component schema, under one id, with `#/components/schemas/X` rewritten to point into it.
ajv.addSchema({ $id: SCHEMAS_ID, $defs: rebaseRefs(components.schemas) });

const validators = new WeakMap<object, ValidateFunction>();
const schemaRefs = new Map<string, Json>();
const checked = new Set<string>();

/**
 * Fails unless the response is one openapi.yaml documents for `method path`: a known route and
 * method, a documented status, a documented media type (parameters ignored), every header the
 * spec marks `required: true` present and valid, and a body valid against the schema.
 * HEAD is checked against the GET operation (RFC 9110 §9.3.2) and must have no body; a 405 for a
 * method the path lacks is checked against the 405 its operations document.
 *
 * @example
 * const res = await request(app).post('/tokens').set('Authorization', `Bearer ${key}`).send({ orgId: 'org_a' });
 * expectToMatchSpec('POST', '/tokens', res);
 */
export function expectToMatchSpec(method: string, path: string, response: ResponseLike): void {
  const verb = method.toLowerCase();
  const where = `${method.toUpperCase()} ${path} → ${response.status}`;
  const template = findPathTemplate(path.split('?')[0] as string);
  if (template === undefined) fail(where, [`openapi.yaml documents no path matching ${path}`], response);
  const pathItem = paths[template];
  if (pathItem === undefined) fail(where, [`openapi.yaml has no path ${template}`], response);
  const operations = METHODS.filter((candidate) => pathItem[candidate] !== undefined);

  let operation = operationFor(verb, pathItem);
  if (operation === undefined) {
    if (response.status !== 405) {
      fail(where, [`${method.toUpperCase()} is not an operation of ${template} (operations: ${operations.join(', ')}), so only 405 may answer it`], response);
    }
    // A method the path lacks is answered by the 405 its operations document.
    operation = operations.find((candidate) => responsesOf(pathItem, candidate)['405'] !== undefined);
    if (operation === undefined) fail(where, [`no operation of ${template} documents 405`], response);
  }
  const documented = responsesOf(pathItem, operation);
  const responseSpec = documented[String(response.status)];
  if (responseSpec === undefined) {
    fail(where, [`status ${response.status} is not documented for ${operation.toUpperCase()} ${template} (documented: ${Object.keys(documented).join(', ')})`], response);
  }
  checked.add(`${operation.toUpperCase()} ${template} ${response.status}`);
  checkResponse(where, responseSpec, verb, response);
}

/**
 * Fails unless the response matches a response of `components/responses`: for answers that no
 * documented path gives, such as the 404 of an unknown route.
 *
 * @example
 * expectToMatchComponentResponse('NotFound', await request(app).get('/nope'));
 */
export function expectToMatchComponentResponse(name: string, response: ResponseLike, method = 'GET'): void {
  const responseSpec = (components.responses as Readonly<Record<string, ResponseSpec>> | undefined)?.[name];
  const where = `${method.toUpperCase()} → ${response.status} as components/responses/${name}`;
  if (responseSpec === undefined) fail(where, [`openapi.yaml has no components/responses/${name}`], response);
  checkResponse(where, responseSpec, method.toLowerCase(), response);
}

/**
 * Fails unless `value` is valid against `components/schemas/<name>`.
 *
 * @example
 * expectToMatchSchema('TokenRequest', { orgId: 'org_a', expiresIn: '15m' });
 */
export function expectToMatchSchema(name: string, value: unknown): void {
  if ((components.schemas as Json | undefined)?.[name] === undefined) throw new Error(`openapi.yaml has no components/schemas/${name}`);
  let reference = schemaRefs.get(name);
  if (reference === undefined) schemaRefs.set(name, (reference = { $ref: `${SCHEMAS_ID}#/$defs/${name}` }));
  const validate = compiled(reference);
  if (!validate(value)) {
    throw new Error(`value does not match components/schemas/${name}:\n${describeErrors(validate.errors)}\nvalue: ${preview(JSON.stringify(value))}`);
  }
}

/** Every documented `METHOD path status`, HEAD excepted (it answers like GET). */
export function documentedResponses(): string[] {
  return Object.entries(paths).flatMap(([template, pathItem]) =>
    METHODS.filter((method) => pathItem[method] !== undefined).flatMap((method) =>
      Object.keys(responsesOf(pathItem, method)).map((status) => `${method.toUpperCase()} ${template} ${status}`),
    ),
  );
}

/** The `METHOD path status` triples expectToMatchSpec has checked so far in this test file. */
export function checkedResponses(): ReadonlySet<string> {
  return checked;
}

function checkResponse(where: string, responseSpec: ResponseSpec, verb: string, response: ResponseLike): void {
  const problems: string[] = [];
  const resolved = resolve<ResponseSpec>(responseSpec);

  for (const [name, header] of Object.entries(resolved.headers ?? {})) {
    const { required = false, schema } = resolve<HeaderSpec>(header);
    const raw = response.headers[name.toLowerCase()];
    if (raw === undefined) {
      if (required) problems.push(`required header ${name} is missing`);
      continue;
    }
    const value = Array.isArray(raw) ? raw.join(', ') : raw;
    if (schema === undefined) continue;
    const validate = compiled(schema);
    if (!validate(headerValue(value, schema))) problems.push(`header ${name}: ${JSON.stringify(value)} does not match its schema:\n${describeErrors(validate.errors)}`);
  }

  const body = response.text ?? '';
  const noBody = verb === 'head' || response.status === 304 || response.status === 204;
  const content = resolved.content ?? {};
  const contentType = response.headers['content-type'];
  if (Object.keys(content).length === 0) {
    if (body !== '') problems.push(`the spec documents no body, but one was sent: ${preview(body)}`);
  } else if (typeof contentType !== 'string') {
    problems.push(`Content-Type is missing; documented: ${Object.keys(content).join(', ')}`);
  } else {
    const mediaType = bareMediaType(contentType);
    const entry = Object.entries(content).find(([documented]) => bareMediaType(documented) === mediaType);
    if (entry === undefined) {
      problems.push(`Content-Type ${contentType} is not documented; documented: ${Object.keys(content).join(', ')}`);
    } else if (noBody) {
      if (body !== '') problems.push(`a ${verb === 'head' ? 'HEAD response' : String(response.status)} must have no body, got ${preview(body)}`);
    } else if (entry[1].schema !== undefined) {
      problems.push(...checkBody(entry[1].schema, mediaType, body));
    }
  }
  if (problems.length > 0) fail(where, problems, response);
}

function checkBody(schema: Json, mediaType: string, body: string): string[] {
  let value: unknown = body;
  if (isJson(mediaType)) {
    try {
      value = JSON.parse(body);
    } catch {
      return [`the body is not JSON although the Content-Type is ${mediaType}: ${preview(body)}`];
    }
  }
  const validate = compiled(schema);
  return validate(value) ? [] : [`the body does not match the schema:\n${describeErrors(validate.errors)}`];
}

/** Compiles a schema of the spec once; named schemas are compiled through a `$ref` made for them. */
function compiled(schema: Json): ValidateFunction {
  let validate = validators.get(schema);
  if (validate === undefined) {
    validate = ajv.compile(rebaseRefs(schema) as Json);
    validators.set(schema, validate);
  }
  return validate;
}

/** A header arrives as text; an integer or number schema describes the number it spells. */
function headerValue(value: string, schema: Json): unknown {
  if ((schema.type === 'integer' || schema.type === 'number') && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return value;
}

function operationFor(verb: string, pathItem: Json): string | undefined {
  if (pathItem[verb] !== undefined) return verb;
  // A GET route answers HEAD with the same status and headers (RFC 9110 §9.3.2).
  if (verb === 'head' && pathItem.get !== undefined) return 'get';
  return undefined;
}

function responsesOf(pathItem: Json, method: string): Readonly<Record<string, ResponseSpec>> {
  return ((pathItem[method] as Json).responses ?? {}) as Record<string, ResponseSpec>;
}

function findPathTemplate(path: string): string | undefined {
  if (paths[path] !== undefined) return path;
  return Object.keys(paths).find((template) => {
    const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}/]+\}/g, '[^/]+');
    return new RegExp(`^${pattern}$`).test(path);
  });
}

/** Follows a `$ref` to a component (responses, headers), once or more. */
function resolve<T>(value: T | { $ref: string }): T {
  let current: unknown = value;
  for (let hops = 0; typeof current === 'object' && current !== null && '$ref' in current; hops += 1) {
    const ref = (current as { $ref: string }).$ref;
    if (hops > 10 || !ref.startsWith('#/')) throw new Error(`cannot resolve $ref ${ref} in openapi.yaml`);
    current = ref
      .slice(2)
      .split('/')
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((node, part) => (node as Json | undefined)?.[part], spec);
    if (current === undefined) throw new Error(`$ref ${ref} points at nothing in openapi.yaml`);
  }
  return current as T;
}

/** Copies a schema with its `#/components/schemas/X` references pointed at the schemas registered with Ajv. */
function rebaseRefs(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rebaseRefs);
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [
      key,
      key === '$ref' && typeof value === 'string' && value.startsWith('#/components/schemas/')
        ? `${SCHEMAS_ID}#/$defs/${value.slice('#/components/schemas/'.length)}`
        : rebaseRefs(value),
    ]),
  );
}

function bareMediaType(contentType: string): string {
  return (contentType.split(';')[0] as string).trim().toLowerCase();
}

function isJson(mediaType: string): boolean {
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((error) => `  - ${error.instancePath || '(root)'} ${error.message ?? 'is invalid'} ${JSON.stringify(error.params)} [${error.schemaPath}]`).join('\n');
}

function preview(text: string | undefined): string {
  if (text === undefined) return '(undefined)';
  return text.length > 600 ? `${text.slice(0, 600)}… (${text.length} characters)` : text;
}

function fail(where: string, problems: readonly string[], response: ResponseLike): never {
  const contentType = response.headers['content-type'] ?? '(no Content-Type)';
  throw new Error(`${where} does not match openapi.yaml:\n${problems.map((problem) => `- ${problem}`).join('\n')}\nresponse: ${String(contentType)} ${preview(response.text)}`);
}
