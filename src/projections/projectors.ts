import { bookingProjector } from './booking.projector.js';
import { catalogProjector } from './catalog.projector.js';
import { checkInProjector } from './check-in.projector.js';
import { paymentProjector } from './payment.projector.js';
import type { Projector } from './projector.js';

/**
 * Every projector of the read models: what the service runs and a replay rebuilds. A module of its
 * own, so that the CLI loads the projections without the service's Kafka and reactor code.
 */
export const PROJECTORS: Projector[] = [catalogProjector, bookingProjector, paymentProjector, checkInProjector];
