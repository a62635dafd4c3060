import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, type OperationObject, type ParameterObject, type SchemaObject, SwaggerModule } from '@nestjs/swagger';
import type { Environment } from '../config.js';
import { problemResponse, ProblemDetails } from './problems.js';
import { documentValidation } from './validation-schemas.js';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/**
 * What every operation answers beyond its own: 503 (a store down, read models behind, shutting
 * down), 400 where there is input to refuse, 413 where there is a body; and the permissions it
 * needs, in words beside `x-permissions`.
 */
const completeOperations = (document: OpenAPIObject): void => {
  for (const path of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = path[method] as OperationObject | undefined;
      if (!operation) continue;
      const parameters = (operation.parameters ?? []) as ParameterObject[];
      for (const parameter of parameters) {
        // An absent query parameter is not a null one: "nullable" is for bodies (@IsOptional also takes null there).
        if (parameter.schema) delete (parameter.schema as SchemaObject).nullable;
      }
      const responses = operation.responses;
      const hasInput = operation.requestBody !== undefined || parameters.some((p) => p.in === 'path' || p.in === 'query');
      if (hasInput) responses['400'] ??= problemResponse(400);
      if (operation.requestBody) responses['413'] ??= problemResponse(413);
      responses['503'] ??= problemResponse(503);
      const permissions = (operation as { 'x-permissions'?: string[] })['x-permissions'];
      if (permissions?.length) operation.description = `${operation.description ?? ''}\n\nNeeds the permission ${permissions.join(' and ')} in the token.`.trim();
    }
  }
};

/**
 * The OpenAPI document of the whole HTTP API, served at /docs-json and written to openapi.json by
 * `npm run openapi`: what integrators generate clients from. Request constraints come from the
 * validation decorators themselves (validation-schemas.ts); answers from the response classes.
 */
export const openApiDocument = (app: INestApplication, env: Pick<Environment, 'MAX_SEATS_PER_BOOKING'>): OpenAPIObject => {
  documentValidation();
  const config = new DocumentBuilder()
    .setTitle('Eventix booking core')
    .setDescription(
      'Event-sourced booking for box offices: commands append events, and answer with the `position` of the last one; ' +
        'queries read the projected read models (send `X-Min-Position` to read your own writes). ' +
        'Every error is `application/problem+json` (RFC 9457).',
    )
    .setVersion('1.0')
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    .addServer('http://localhost:3000', 'A service started with `npm start`')
    .addTag('catalog', 'Venues, seats and events; the public catalog and seat maps')
    .addTag('bookings', "Holding seats, cancelling, and a buyer's bookings")
    .addTag('payments', 'Paying for a booking, and the payment provider\'s webhook')
    .addTag('tickets', "A confirmed booking's tickets, the keys gates verify them with, check-in at the door and attendance")
    .addTag('webhooks', 'Outbound webhooks: integration events POSTed to your endpoints, signed, retried, replayable')
    .addTag('privacy', "Erasing a user: crypto-shredding of the user's key (docs/privacy.md)")
    .addTag('operations', 'Health and metrics')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: "The token's `sub` is the user; `permissions` holds what it may do" })
    .build();
  // Vulnerabilities go to the repository's security advisories (SECURITY.md): a name and no address.
  config.info.contact = { name: 'Eventix maintainers (SECURITY.md: report vulnerabilities privately)' };
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (_controller, method) => method,
    extraModels: [ProblemDetails],
  });
  completeOperations(document);
  // The pipe's ceiling is SEATS_PER_BOOKING_CEILING; this service refuses more than it is configured for.
  const placeBooking = document.components?.schemas?.PlaceBookingBody as SchemaObject | undefined;
  const { seatIds, quantity } = (placeBooking?.properties ?? {}) as Record<string, SchemaObject | undefined>;
  if (seatIds) seatIds.maxItems = env.MAX_SEATS_PER_BOOKING;
  if (quantity) quantity.maximum = env.MAX_SEATS_PER_BOOKING;
  // The seats, or best available: one of the two, as the controller decides.
  if (placeBooking) {
    // Present and not null (a null field is as good as none, as the pipe takes it).
    const present = (field: string, type: SchemaObject['type']): SchemaObject => ({ required: [field], properties: { [field]: { type, ...(type === 'array' ? { items: {} } : {}) } } });
    placeBooking.oneOf = [
      { ...present('seatIds', 'array'), not: { anyOf: [present('quantity', 'integer'), present('seatType', 'string'), present('section', 'string')] } },
      { ...present('quantity', 'integer'), not: present('seatIds', 'array') },
    ];
  }
  return document;
};
