import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { bearer } from './auth.js';

export type SeatOfVenue = { seatId: string; section: string; row: string; number: number; type: 'VIP' | 'REGULAR' | 'ECONOMY' };

/** A, B, … Z, then AA, AB, …: the labels of a big venue's rows. */
const rowLabel = (r: number): string => (r < 26 ? '' : rowLabel(Math.floor(r / 26) - 1)) + String.fromCharCode(65 + (r % 26));

/**
 * A published event (in an app, or a service at a URL) in a new venue of `rows` × `perRow` seats
 * (row A is VIP, B REGULAR, the rest ECONOMY) in each of `sections` (one, unnamed, unless said).
 */
export const publishedEvent = async (app: NestExpressApplication | string, rows = 3, perRow = 10, organiser?: string, sections = ['']) => {
  const admin = organiser ?? (await bearer('auth0|organiser', { permissions: ['catalog:write'] }));
  const http = request(typeof app === 'string' ? app : app.getHttpServer());
  const venue = await http.post('/venues').set('authorization', admin).send({ name: 'Test Hall', location: 'Somewhere 1', capacity: rows * perRow * sections.length }).expect(201);
  const layout = sections.flatMap((section) =>
    Array.from({ length: rows }, (_, r) =>
      Array.from({ length: perRow }, (_, n) => ({ ...(section ? { section } : {}), row: rowLabel(r), number: n + 1, type: r === 0 ? 'VIP' : r === 1 ? 'REGULAR' : 'ECONOMY' })),
    ).flat(),
  );
  const seats: SeatOfVenue[] = [];
  for (let i = 0; i < layout.length; i += 1_000) {
    const added = await http.post(`/venues/${venue.body.id}/seats`).set("authorization", admin).send({ seats: layout.slice(i, i + 1_000) }).expect(201);
    seats.push(...added.body.seats);
  }
  const prices = [
    { seatType: 'VIP', price: '120.00' },
    { seatType: 'REGULAR', price: '45.50' },
    { seatType: 'ECONOMY', price: 19.99 },
  ];
  const event = await http
    .post('/events')
    .set('authorization', admin)
    .send({ venueId: venue.body.id, name: 'Test Night', startTime: '2030-06-01T19:00:00Z', endTime: '2030-06-01T23:00:00Z', prices })
    .expect(201);
  const published = await http.post(`/events/${event.body.id}/publish`).set('authorization', admin).expect(200);
  return { venueId: venue.body.id as string, eventId: event.body.id as string, seats, admin, position: published.body.position as string };
};
