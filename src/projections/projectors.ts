import { bookingProjector } from './booking.projector.js';
import { catalogProjector } from './catalog.projector.js';
import { checkInProjector } from './check-in.projector.js';
import { paymentProjector } from './payment.projector.js';
import type { Projector, Sql } from './projector.js';

/**
 * Every projector of the read models: what the service runs and a replay rebuilds. A module of its
 * own, so that the CLI loads the projections without the service's Kafka and reactor code.
 */
export const PROJECTORS: Projector[] = [catalogProjector, bookingProjector, paymentProjector, checkInProjector];

/** Every column the projectors keep a user id in. */
export const personalColumns = (projectors: Projector[]) => projectors.flatMap((projector) => projector.personal ?? []);

/**
 * An erasure in the read models: every column a projector keeps a user id in (`personal`) gets
 * `erased:<subject>` where it held the user's id. `table` maps a table to where the rows are (a
 * rebuild's shadow copies).
 */
export const eraseUserId = (projectors: Projector[], userId: string, erased: string, table = (name: string) => name): Sql[] =>
  personalColumns(projectors).map((column) => ({ text: `UPDATE ${table(column.table)} SET ${column.column} = $1 WHERE ${column.column} = $2`, values: [erased, userId] }));
