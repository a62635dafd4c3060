import { ReadModelSchemas1764036000000 } from './1764036000000-ReadModelSchemas.js';
import { ReadModelTables1764036100000 } from './1764036100000-ReadModelTables.js';
import { ReservationChecks1764039600000 } from './1764039600000-ReservationChecks.js';
import { SeatMapPositions1764100000000 } from './1764100000000-SeatMapPositions.js';
import { MoveCheckpoint1764800000000 } from './1764800000000-MoveCheckpoint.js';
import { RefundsAndHolds1765100000000 } from './1765100000000-RefundsAndHolds.js';
import { Snapshots1765200000000 } from './1765200000000-Snapshots.js';
import { SectionsAndHolds1765300000000 } from './1765300000000-SectionsAndHolds.js';
import { Tickets1765400000000 } from './1765400000000-Tickets.js';
import { Webhooks1765600000000 } from './1765600000000-Webhooks.js';
import { EventCurrencies1765700000000 } from './1765700000000-EventCurrencies.js';
import { Privacy1765800000000 } from './1765800000000-Privacy.js';

/** Every migration, oldest first. TypeORM runs the ones it has not run yet when the service starts. */
export const migrations = [ReadModelSchemas1764036000000, ReadModelTables1764036100000, ReservationChecks1764039600000, SeatMapPositions1764100000000, MoveCheckpoint1764800000000, RefundsAndHolds1765100000000, Snapshots1765200000000, SectionsAndHolds1765300000000, Tickets1765400000000, Webhooks1765600000000, EventCurrencies1765700000000, Privacy1765800000000];
