import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DomainError } from '../domain-error.js';
import { EVENT_STORE, type EventStore, latestPosition, type MessageContext, type Position } from '../event-store/event-store.port.js';
import { handleCommand, loadState } from '../event-store/handle-command.js';
import type { HoldSeats, ReleaseHold } from '../seat-inventory/seat-inventory.decider.js';
import { SeatInventoryService } from '../seat-inventory/seat-inventory.service.js';
import { showDecider, type ShowCommand } from './show.decider.js';
import { showStream } from './show.events.js';
import { refuseUnknownSeats, venueDecider, type VenueCommand } from './venue.decider.js';
import { venueStream } from './venue.events.js';

/** The organiser's commands: of venues and events, and the holds on an event's seats. */
export type CatalogCommand = VenueCommand | ShowCommand | HoldSeats | ReleaseHold;

/** The bus needs a class; one for the catalog is enough, the union inside names the command. */
export class CatalogCommandMessage extends Command<{ position: Position | undefined }> {
  constructor(
    readonly command: CatalogCommand,
    readonly context: MessageContext,
  ) {
    super();
  }
}

@CommandHandler(CatalogCommandMessage)
export class CatalogCommandHandler implements ICommandHandler<CatalogCommandMessage> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly inventory: SeatInventoryService,
  ) {}

  async execute({ command, context }: CatalogCommandMessage): Promise<{ position: Position | undefined }> {
    switch (command.type) {
      case 'CreateVenue':
      case 'AddSeats':
        return handleCommand(this.store, venueStream(command.data.venueId), venueDecider, command, context);
      case 'CreateShow': {
        const venue = await loadState(this.store, venueStream(command.data.venueId), venueDecider);
        if (venue.state.status === 'None') throw new DomainError('not-found', 'No such venue');
        return handleCommand(this.store, showStream(command.data.eventId), showDecider, command, context);
      }
      case 'ChangePrices':
      case 'PublishShow':
        return handleCommand(this.store, showStream(command.data.eventId), showDecider, command, context);
      case 'CancelShow': {
        const cancelled = await handleCommand(this.store, showStream(command.data.eventId), showDecider, command, context);
        // Then no seat of it can be reserved any more, whatever an instance's cache still says.
        // (Cancelling the bookings it holds, with refunds, follows from EventCancelled.)
        const closed = await this.inventory.execute({ type: 'CloseSales', data: { eventId: command.data.eventId } }, context);
        return { position: latestPosition(cancelled.position, closed.position) };
      }
      case 'HoldSeats': {
        const show = await this.showOf(command.data.eventId);
        const { state: venue } = await loadState(this.store, venueStream(show.venueId), venueDecider);
        refuseUnknownSeats(venue, command.data.seatIds);
        return this.inventory.execute(command, context);
      }
      case 'ReleaseHold':
        await this.showOf(command.data.eventId);
        return this.inventory.execute(command, context);
    }
  }

  /** The event; a 404 if it does not exist. Holds may be placed before it is published, the usual time. */
  private async showOf(eventId: string) {
    const { state: show } = await loadState(this.store, showStream(eventId), showDecider);
    if (show.status === 'None') throw new DomainError('not-found', 'No such event');
    return show;
  }
}
