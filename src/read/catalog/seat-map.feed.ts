import { Injectable, Logger, type MessageEvent, type OnModuleDestroy } from '@nestjs/common';
import { Observable, type Subscriber } from 'rxjs';
import { CatalogQueries } from './catalog.queries.js';

/** How often watched seat maps are looked at: what changed in between goes out as one message. */
const TICK_MS = 250;

type Watcher = { after: string; subscriber: Subscriber<MessageEvent> };

/**
 * The live seat map's changes. Each seat row holds the position of the event that last changed it,
 * and the projector commits in log order, so "the rows past the position a client has seen" is
 * exactly what it has not seen: nothing missed, nothing twice, also across a reconnect.
 *
 * Found by polling, every TICK_MS and only while someone watches, with one query per watched event
 * for all of its watchers, rather than by LISTEN/NOTIFY: the projector may run in another
 * instance, a poll needs no connection of its own to keep listening (nor a notification that a
 * reconnect can lose), the projection runner stays as it is, and a hot on-sale's changes are
 * batched by the tick anyway. The cost is one index range scan per watched event per tick.
 */
@Injectable()
export class SeatMapFeed implements OnModuleDestroy {
  private readonly logger = new Logger(SeatMapFeed.name);
  private readonly watchers = new Map<string, Set<Watcher>>();
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;

  constructor(private readonly queries: CatalogQueries) {}

  /** `changes` messages of the event's seat map from `after` on, each with the SSE id of its last change. */
  changesAfter(eventId: string, after: string): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      const watcher = { after, subscriber };
      const ofEvent = this.watchers.get(eventId) ?? new Set<Watcher>();
      this.watchers.set(eventId, ofEvent.add(watcher));
      this.timer ??= setInterval(() => (this.ticking ??= this.tick().finally(() => (this.ticking = undefined))), TICK_MS);
      return () => {
        ofEvent.delete(watcher);
        if (ofEvent.size === 0 && this.watchers.get(eventId) === ofEvent) this.watchers.delete(eventId);
        if (this.watchers.size === 0) this.stopTicking();
      };
    });
  }

  private async tick(): Promise<void> {
    for (const [eventId, watchers] of this.watchers) {
      // One query for all of the event's watchers, from the one furthest behind.
      const from = [...watchers].reduce((min, watcher) => (watcher.after < min ? watcher.after : min), [...watchers][0]?.after ?? '');
      let changes: Awaited<ReturnType<CatalogQueries['seatChanges']>>;
      try {
        changes = await this.queries.seatChanges(eventId, from);
      } catch (error) {
        this.logger.warn(`Seat map of ${eventId} not read (${(error as Error).message}); trying again`);
        continue;
      }
      for (const watcher of watchers) {
        const unseen = changes.filter((change) => change.position > watcher.after);
        if (unseen.length === 0) continue;
        watcher.after = unseen[unseen.length - 1].position;
        const seats = unseen.map(({ seatId, status }) => ({ seatId, status }));
        watcher.subscriber.next({ type: 'changes', id: watcher.after, data: { position: watcher.after, seats } });
      }
    }
  }

  private stopTicking(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Ends every stream before the HTTP server closes: an open stream would keep app.close() waiting. */
  async onModuleDestroy(): Promise<void> {
    this.stopTicking();
    await this.ticking;
    for (const watchers of [...this.watchers.values()]) for (const watcher of [...watchers]) watcher.subscriber.complete();
  }
}
