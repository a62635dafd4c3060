import { DataSource } from 'typeorm';
import { ReadModelSchemas1764036000000 } from '../migrations/1764036000000-ReadModelSchemas.js';
import { ReadModelTables1764036100000 } from '../migrations/1764036100000-ReadModelTables.js';
import { migrations } from '../migrations/all.js';
import { BookingRow } from '../src/read/booking/booking.entity.js';
import { readModelEntities } from '../src/read/read-model.entities.js';
import { createTestDatabase } from './support/database.js';

/**
 * The read-model schema against data-model.md §2, as PostgreSQL's catalogs see it after the
 * migrations ran. The expectations below are written out from the document (not derived from the
 * migration), so that any drift shows as a diff. Types are information_schema's, with length or
 * precision added; defaults are as PostgreSQL prints them back.
 */

type ColumnMetadata = DataSource['entityMetadatas'][number]['columns'][number]; // typeorm does not export it
type Column = [name: string, type: string, nullability: 'NULL' | 'NOT NULL', defaultValue: string | null];

const uuid = 'uuid';
const varchar = (n: number) => `character varying(${n})`;
const integer = 'integer';
const text = 'text';
const timestamp = 'timestamp without time zone';
const timestamptz = 'timestamp with time zone';
const money = 'numeric(10,2)';
const enumOf = (name: string) => `USER-DEFINED:${name}`;
const NULL = 'NULL';
const NOT_NULL = 'NOT NULL';

/** data-model.md §2, table by table, column by column, in order. */
const documentedColumns: Record<string, Column[]> = {
  // §2.1 Catalog
  'catalog.venues': [
    ['id',               uuid,                              NOT_NULL, 'gen_random_uuid()'],
    ['name',             varchar(255),                      NOT_NULL, null],
    ['location',         varchar(500),                      NULL,     null],
    ['capacity',         integer,                           NULL,     null],
    ['created_at',       timestamp,                         NULL,     'now()'],
    ['updated_at',       timestamp,                         NULL,     'now()'],
  ],
  'catalog.seats': [
    ['id',               uuid,                              NOT_NULL, 'gen_random_uuid()'],
    ['venue_id',         uuid,                              NULL,     null],
    ['row',              varchar(10),                       NOT_NULL, null],
    ['number',           integer,                           NOT_NULL, null],
    ['type',             enumOf('catalog.seat_type'),       NOT_NULL, null],
    ['created_at',       timestamp,                         NULL,     'now()'],
  ],
  'catalog.events': [
    ['id',               uuid,                              NOT_NULL, 'gen_random_uuid()'],
    ['venue_id',         uuid,                              NULL,     null],
    ['name',             varchar(255),                      NOT_NULL, null],
    ['description',      text,                              NULL,     null],
    ['start_time',       timestamp,                         NOT_NULL, null],
    ['end_time',         timestamp,                         NOT_NULL, null],
    ['status',           enumOf('catalog.event_status'),    NULL,     `'DRAFT'::catalog.event_status`],
    ['created_at',       timestamp,                         NULL,     'now()'],
    ['updated_at',       timestamp,                         NULL,     'now()'],
  ],
  'catalog.event_seat_prices': [
    ['event_id',         uuid,                              NOT_NULL, null],
    ['seat_type',        enumOf('catalog.seat_type'),       NOT_NULL, null],
    ['price',            money,                             NOT_NULL, null],
  ],
  // §2.2 Booking
  'booking.bookings': [
    ['id',               uuid,                              NOT_NULL, 'gen_random_uuid()'],
    ['user_id',          varchar(255),                      NOT_NULL, null],
    ['event_id',         uuid,                              NOT_NULL, null],
    ['status',           enumOf('booking.booking_status'),  NULL,     `'PENDING'::booking.booking_status`],
    ['total_amount',     money,                             NOT_NULL, null],
    ['currency',         varchar(3),                        NULL,     `'USD'::character varying`],
    ['ticket_reference', varchar(255),                      NULL,     null],
    ['created_at',       timestamp,                         NULL,     'now()'],
    ['updated_at',       timestamp,                         NULL,     'now()'],
    ['expires_at',       timestamp,                         NOT_NULL, null],
  ],
  'booking.booking_items': [
    ['id',               uuid,                              NOT_NULL, 'gen_random_uuid()'],
    // §2 says only "FK"; §3.2's entity and §6's migration make it NOT NULL.
    ['booking_id',       uuid,                              NOT_NULL, null],
    ['seat_id',          uuid,                              NOT_NULL, null],
    ['price',            money,                             NOT_NULL, null],
    ['created_at',       timestamp,                         NULL,     'now()'],
  ],
  'booking.processed_events': [
    // Deviation (b), see the migration: one mark per projector, so `projector` joins the key.
    ['projector',        varchar(100),                      NOT_NULL, null],
    ['event_id',         uuid,                              NOT_NULL, null],
    ['event_type',       varchar(100),                      NOT_NULL, null],
    ['processed_at',     timestamp,                         NULL,     'now()'],
  ],
  // §2.3 Payment
  'payment.payments': [
    ['id',               uuid,                              NOT_NULL, 'gen_random_uuid()'],
    ['booking_id',       uuid,                              NOT_NULL, null],
    ['amount',           money,                             NOT_NULL, null],
    ['currency',         varchar(3),                        NULL,     `'USD'::character varying`],
    ['status',           enumOf('payment.payment_status'),  NULL,     `'PENDING'::payment.payment_status`],
    ['provider',         varchar(50),                       NULL,     null],
    ['external_id',      varchar(255),                      NULL,     null],
    ['failure_reason',   text,                              NULL,     null],
    ['created_at',       timestamp,                         NULL,     'now()'],
    ['updated_at',       timestamp,                         NULL,     'now()'],
  ],
};

/** The read models data-model.md does not have, which its queries and the projectors need. */
const extraColumns: Record<string, Column[]> = {
  'catalog.seat_availability': [
    ['event_id',         uuid,                              NOT_NULL, null],
    ['seat_id',          uuid,                              NOT_NULL, null],
    ['venue_id',         uuid,                              NOT_NULL, null],
    ['row',              varchar(10),                       NOT_NULL, null],
    ['number',           integer,                           NOT_NULL, null],
    ['type',             enumOf('catalog.seat_type'),       NOT_NULL, null],
    ['status',           enumOf('catalog.seat_status'),     NOT_NULL, `'AVAILABLE'::catalog.seat_status`],
    ['booking_id',       uuid,                              NULL,     null],
    ['updated_at',       timestamp,                         NOT_NULL, 'now()'],
  ],
  'projections.checkpoints': [
    ['projector',        varchar(100),                      NOT_NULL, null],
    ['position',         text,                              NOT_NULL, `''::text`],
    ['updated_at',       timestamptz,                       NOT_NULL, 'now()'],
  ],
  'projections.parked_events': [
    ['projector',        varchar(100),                      NOT_NULL, null],
    ['event_id',         uuid,                              NOT_NULL, null],
    ['position',         text,                              NOT_NULL, null],
    ['stream_name',      text,                              NOT_NULL, null],
    ['event_type',       varchar(100),                      NOT_NULL, null],
    ['error',            text,                              NOT_NULL, null],
    ['parked_at',        timestamptz,                       NOT_NULL, 'now()'],
  ],
};

/** Every index data-model.md §2 names, as pg_indexes prints it. */
const documentedIndexes: Record<string, string> = {
  'catalog.idx_unique_seat_position': 'CREATE UNIQUE INDEX idx_unique_seat_position ON catalog.seats USING btree (venue_id, "row", number)',
  'booking.idx_booking_user_id': 'CREATE INDEX idx_booking_user_id ON booking.bookings USING btree (user_id)',
  'booking.idx_booking_event_id': 'CREATE INDEX idx_booking_event_id ON booking.bookings USING btree (event_id)',
  'booking.idx_booking_status': 'CREATE INDEX idx_booking_status ON booking.bookings USING btree (status)',
  'booking.idx_booking_pending_expires':
    `CREATE INDEX idx_booking_pending_expires ON booking.bookings USING btree (expires_at) WHERE (status = 'PENDING'::booking.booking_status)`,
  // Deviation (a), see the migration: the "recommended" alternative, not idx_active_seat_booking.
  'booking.idx_unique_seat_booking': 'CREATE UNIQUE INDEX idx_unique_seat_booking ON booking.booking_items USING btree (seat_id, booking_id)',
  'booking.idx_processed_events_timestamp':
    'CREATE INDEX idx_processed_events_timestamp ON booking.processed_events USING btree (processed_at)',
  'payment.idx_payment_booking': 'CREATE UNIQUE INDEX idx_payment_booking ON payment.payments USING btree (booking_id)',
};

/** The indexes PostgreSQL builds for the primary keys and UNIQUE columns, and the extra tables' own. */
const otherIndexes: Record<string, string> = {
  'catalog.venues_pkey': 'CREATE UNIQUE INDEX venues_pkey ON catalog.venues USING btree (id)',
  'catalog.seats_pkey': 'CREATE UNIQUE INDEX seats_pkey ON catalog.seats USING btree (id)',
  'catalog.events_pkey': 'CREATE UNIQUE INDEX events_pkey ON catalog.events USING btree (id)',
  'catalog.event_seat_prices_pkey': 'CREATE UNIQUE INDEX event_seat_prices_pkey ON catalog.event_seat_prices USING btree (event_id, seat_type)',
  'booking.bookings_pkey': 'CREATE UNIQUE INDEX bookings_pkey ON booking.bookings USING btree (id)',
  'booking.bookings_ticket_reference_key':
    'CREATE UNIQUE INDEX bookings_ticket_reference_key ON booking.bookings USING btree (ticket_reference)',
  'booking.booking_items_pkey': 'CREATE UNIQUE INDEX booking_items_pkey ON booking.booking_items USING btree (id)',
  'booking.processed_events_pkey': 'CREATE UNIQUE INDEX processed_events_pkey ON booking.processed_events USING btree (projector, event_id)',
  'payment.payments_pkey': 'CREATE UNIQUE INDEX payments_pkey ON payment.payments USING btree (id)',
  // extra read models
  'catalog.seat_availability_pkey': 'CREATE UNIQUE INDEX seat_availability_pkey ON catalog.seat_availability USING btree (event_id, seat_id)',
  'catalog.idx_seat_availability_map':
    'CREATE INDEX idx_seat_availability_map ON catalog.seat_availability USING btree (event_id, "row", number)',
  'catalog.idx_seat_availability_booking':
    'CREATE INDEX idx_seat_availability_booking ON catalog.seat_availability USING btree (booking_id) WHERE (booking_id IS NOT NULL)',
  'projections.checkpoints_pkey': 'CREATE UNIQUE INDEX checkpoints_pkey ON projections.checkpoints USING btree (projector)',
  'projections.parked_events_pkey': 'CREATE UNIQUE INDEX parked_events_pkey ON projections.parked_events USING btree (projector, event_id)',
};

/** Keys, UNIQUE columns and foreign keys (with their ON DELETE), by constraint: "table: definition". */
const constraints: Record<string, string> = {
  'catalog.venues_pkey': 'catalog.venues: PRIMARY KEY (id)',
  'catalog.seats_pkey': 'catalog.seats: PRIMARY KEY (id)',
  'catalog.seats_venue_id_fkey': 'catalog.seats: FOREIGN KEY (venue_id) REFERENCES catalog.venues(id) ON DELETE CASCADE',
  'catalog.events_pkey': 'catalog.events: PRIMARY KEY (id)',
  'catalog.events_venue_id_fkey': 'catalog.events: FOREIGN KEY (venue_id) REFERENCES catalog.venues(id)',
  'catalog.event_seat_prices_pkey': 'catalog.event_seat_prices: PRIMARY KEY (event_id, seat_type)',
  'catalog.event_seat_prices_event_id_fkey':
    'catalog.event_seat_prices: FOREIGN KEY (event_id) REFERENCES catalog.events(id) ON DELETE CASCADE',
  'booking.bookings_pkey': 'booking.bookings: PRIMARY KEY (id)',
  'booking.bookings_ticket_reference_key': 'booking.bookings: UNIQUE (ticket_reference)',
  'booking.booking_items_pkey': 'booking.booking_items: PRIMARY KEY (id)',
  'booking.booking_items_booking_id_fkey':
    'booking.booking_items: FOREIGN KEY (booking_id) REFERENCES booking.bookings(id) ON DELETE CASCADE',
  'booking.processed_events_pkey': 'booking.processed_events: PRIMARY KEY (projector, event_id)',
  // No UNIQUE constraint on booking_id: idx_payment_booking is its one uniqueness (see the migration).
  'payment.payments_pkey': 'payment.payments: PRIMARY KEY (id)',
  // extra read models: no foreign keys (a projector may write the seat map in any order)
  'catalog.seat_availability_pkey': 'catalog.seat_availability: PRIMARY KEY (event_id, seat_id)',
  'projections.checkpoints_pkey': 'projections.checkpoints: PRIMARY KEY (projector)',
  'projections.parked_events_pkey': 'projections.parked_events: PRIMARY KEY (projector, event_id)',
};

const enums: Record<string, string[]> = {
  'catalog.seat_type': ['VIP', 'REGULAR', 'ECONOMY'],
  'catalog.event_status': ['DRAFT', 'PUBLISHED', 'CANCELLED', 'COMPLETED'],
  'booking.booking_status': ['PENDING', 'CONFIRMED', 'CANCELLED'],
  'payment.payment_status': ['PENDING', 'PROCESSING', 'SUCCESS', 'FAILED'],
  'catalog.seat_status': ['AVAILABLE', 'RESERVED', 'SOLD'], // extra: the seat map's
};

const schemas = ['catalog', 'booking', 'payment', 'projections'];

/** One self-describing line per column, so that a diff names the table and the column it is about. */
const lines = (columns: Record<string, Column[] | undefined>): string[] =>
  Object.entries(columns).flatMap(([table, rows = []]) =>
    rows.length === 0 ? [`${table}: missing`]
    : rows.map(([name, type, nullability, defaultValue]) => `${table}.${name}: ${type} ${nullability}${defaultValue === null ? '' : ` DEFAULT ${defaultValue}`}`));
const pick = (columns: Record<string, Column[]>, tables: string[]) => Object.fromEntries(tables.map((table) => [table, columns[table]]));

/** What PostgreSQL's catalogs say about the read-model schemas. */
const inspect = async (db: DataSource) => {
  const columnRows: {
    table: string; column_name: string; data_type: string; udt_schema: string; udt_name: string;
    character_maximum_length: number | null; numeric_precision: number | null; numeric_scale: number | null;
    is_nullable: 'YES' | 'NO'; column_default: string | null;
  }[] = await db.query(
    `SELECT table_schema || '.' || table_name AS table, column_name, data_type, udt_schema, udt_name,
            character_maximum_length, numeric_precision, numeric_scale, is_nullable, column_default
       FROM information_schema.columns WHERE table_schema = ANY($1)
      ORDER BY table_schema, table_name, ordinal_position`,
    [schemas],
  );
  const typeOf = (c: (typeof columnRows)[number]) =>
    c.data_type === 'character varying' ? `character varying(${c.character_maximum_length})`
    : c.data_type === 'numeric' ? `numeric(${c.numeric_precision},${c.numeric_scale})`
    : c.data_type === 'USER-DEFINED' ? `USER-DEFINED:${c.udt_schema}.${c.udt_name}`
    : c.data_type;
  const columns: Record<string, Column[]> = {};
  for (const c of columnRows) {
    (columns[c.table] ??= []).push([c.column_name, typeOf(c), c.is_nullable === 'YES' ? NULL : NOT_NULL, c.column_default?.trim() ?? null]);
  }

  const indexRows: { name: string; indexdef: string }[] = await db.query(
    `SELECT schemaname || '.' || indexname AS name, indexdef FROM pg_indexes WHERE schemaname = ANY($1)`,
    [schemas],
  );
  // Not-null constraints ('n', PostgreSQL 18) are in the columns already; domains have no table.
  const constraintRows: { name: string; definition: string }[] = await db.query(
    `SELECT n.nspname || '.' || c.conname AS name, c.conrelid::regclass::text || ': ' || pg_get_constraintdef(c.oid) AS definition
       FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
      WHERE n.nspname = ANY($1) AND c.contype IN ('p', 'u', 'f', 'c', 'x') AND c.conrelid <> 0`,
    [schemas],
  );
  const enumRows: { name: string; labels: string[] }[] = await db.query(
    `SELECT n.nspname || '.' || t.typname AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid
      WHERE n.nspname = ANY($1) GROUP BY 1`,
    [schemas],
  );
  const triggerRows: { name: string }[] = await db.query(
    `SELECT t.tgname AS name FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1) AND NOT t.tgisinternal`,
    [schemas],
  );
  const functionRows: { name: string }[] = await db.query(
    `SELECT proname AS name FROM pg_proc WHERE proname IN ('update_updated_at_column', 'validate_booking_total')`,
  );
  return {
    columns,
    indexes: Object.fromEntries(indexRows.map((r) => [r.name, r.indexdef])),
    constraints: Object.fromEntries(constraintRows.map((r) => [r.name, r.definition])),
    enums: Object.fromEntries(enumRows.map((r) => [r.name, r.labels])),
    triggers: triggerRows.map((r) => r.name),
    functions: functionRows.map((r) => r.name),
  };
};

describe('the read-model schema (data-model.md §2)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: DataSource;
  let schema: Awaited<ReturnType<typeof inspect>>;

  beforeAll(async () => {
    database = await createTestDatabase('read_model_schema');
    // The migrations up to this one: later ones may change the tables, and have tests of their own.
    const upToTables = migrations.slice(0, migrations.indexOf(ReadModelTables1764036100000) + 1);
    db = new DataSource({ type: 'postgres', url: database.url, migrations: upToTables, entities: readModelEntities });
    await db.initialize();
    await db.runMigrations();
    schema = await inspect(db);
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  it('is registered in migrations/all.ts right after the schemas it fills', () => {
    expect(migrations.indexOf(ReadModelTables1764036100000)).toBe(migrations.indexOf(ReadModelSchemas1764036000000) + 1);
  });

  it('has every documented table with its columns in order: type, nullability and default', () => {
    expect(lines(pick(schema.columns, Object.keys(documentedColumns)))).toEqual(lines(documentedColumns));
  });

  it('has the extra read models, and no table besides', () => {
    expect(lines(pick(schema.columns, Object.keys(extraColumns)))).toEqual(lines(extraColumns));
    expect(Object.keys(schema.columns).sort()).toEqual([...Object.keys(documentedColumns), ...Object.keys(extraColumns)].sort());
  });

  it('has every documented index by name and definition, and no other index than keys and the extra tables\'', () => {
    expect(Object.fromEntries(Object.keys(documentedIndexes).map((name) => [name, schema.indexes[name]]))).toEqual(documentedIndexes);
    expect(schema.indexes).toEqual({ ...documentedIndexes, ...otherIndexes });
  });

  it('has the primary keys, the UNIQUE column and the foreign keys with their ON DELETE', () => {
    expect(schema.constraints).toEqual(constraints);
  });

  it('has every enum with its labels in order', () => {
    expect(schema.enums).toEqual(enums);
  });

  it('has none of the optional triggers of §4.2: projectors set updated_at from the event', () => {
    expect({ triggers: schema.triggers, functions: schema.functions }).toEqual({ triggers: [], functions: [] });
  });

  describe('deviations from data-model.md (their reasons are in the migration)', () => {
    it('(a) has idx_unique_seat_booking, not idx_active_seat_booking, which PostgreSQL cannot build', async () => {
      expect(schema.indexes['booking.idx_active_seat_booking']).toBeUndefined();
      expect(schema.indexes['booking.idx_unique_seat_booking']).toBe(
        'CREATE UNIQUE INDEX idx_unique_seat_booking ON booking.booking_items USING btree (seat_id, booking_id)',
      );
      // The documented statement, as it stands: an index predicate cannot hold a subquery.
      await expect(
        db.query(`CREATE UNIQUE INDEX idx_active_seat_booking ON booking.booking_items (seat_id)
                  WHERE EXISTS (SELECT 1 FROM booking.bookings WHERE bookings.id = booking_items.booking_id
                                AND bookings.status IN ('PENDING', 'CONFIRMED'))`),
      ).rejects.toThrow('cannot use subquery in index predicate');
    });

    it('(b) keys processed_events on (projector, event_id): each projector marks an event for itself', async () => {
      expect(schema.constraints['booking.processed_events_pkey']).toBe('booking.processed_events: PRIMARY KEY (projector, event_id)');
      const mark = (projector: string) =>
        db.query(
          `INSERT INTO booking.processed_events (projector, event_id, event_type)
           VALUES ($1, '00000000-0000-4000-8000-000000000001', 'BookingPlaced') ON CONFLICT DO NOTHING RETURNING 1`,
          [projector],
        );
      expect([(await mark('booking')).length, (await mark('catalog')).length, (await mark('booking')).length]).toEqual([1, 1, 0]);
      await db.query('DELETE FROM booking.processed_events');
    });

    it('makes idx_payment_booking the one uniqueness of payments.booking_id', async () => {
      const unique: { name: string }[] = await db.query(
        `SELECT i.indexrelid::regclass::text AS name FROM pg_index i
          WHERE i.indrelid = 'payment.payments'::regclass AND i.indisunique
            AND i.indnatts = 1 AND i.indkey[0] = (SELECT attnum FROM pg_attribute WHERE attrelid = 'payment.payments'::regclass AND attname = 'booking_id')`,
      );
      expect(unique.map((r) => r.name)).toEqual(['payment.idx_payment_booking']);
    });
  });

  it('has entities that say what the tables hold: every column with its type, nullability, default and index', () => {
    // Not TypeORM's schema diff: it reads a uuid column defaulting to gen_random_uuid() as "generated",
    // and @PrimaryGeneratedColumn would make the service try to CREATE EXTENSION "uuid-ossp" at start.
    const asDeclared = (column: ColumnMetadata, table: string): Column => {
      const enumType = `${table.split('.')[0]}.${column.enumName}`;
      const type = {
        varchar: `character varying(${column.length})`, decimal: `numeric(${column.precision},${column.scale})`,
        timestamp, timestamptz, enum: enumOf(enumType),
      }[String(column.type)] ?? String(column.type);
      const declared = typeof column.default === 'function' ? column.default() : column.default;
      const cast = { varchar: 'character varying', text: 'text', enum: enumType }[String(column.type)];
      const defaultValue = declared === undefined ? null : typeof declared === 'string' && cast ? `'${declared}'::${cast}` : String(declared);
      return [column.databaseName, type, column.isNullable ? NULL : NOT_NULL, defaultValue];
    };
    const tables = db.entityMetadatas.map((entity) => `${entity.schema}.${entity.tableName}`);
    expect(tables.sort()).toEqual(Object.keys(schema.columns).sort());
    for (const entity of db.entityMetadatas) {
      const table = `${entity.schema}.${entity.tableName}`;
      const declared = entity.columns.map((column) => asDeclared(column, table));
      expect(lines({ [table]: declared })).toEqual(lines(pick(schema.columns, [table])));
      // Its @Index declarations name real indexes of its table, unique where those are.
      const declaredIndexes = entity.indices.map((index) => `${index.isUnique ? 'UNIQUE ' : ''}INDEX ${index.name} ON ${table}`);
      const realIndexes = entity.indices.map((index) => schema.indexes[`${entity.schema}.${index.name}`]?.match(/^CREATE (UNIQUE INDEX|INDEX) \S+ ON \S+/)?.[0].slice(7));
      expect(realIndexes).toEqual(declaredIndexes);
    }
  });

  it('reads a booking and its items through the entities, money as exact strings', async () => {
    const bookingId = '00000000-0000-4000-8000-0000000000b1';
    await db.query(
      `INSERT INTO booking.bookings (id, user_id, event_id, total_amount, expires_at)
       VALUES ($1, 'auth0|someone', '00000000-0000-4000-8000-0000000000e1', 30.10, '2030-01-01T20:15:00Z')`,
      [bookingId],
    );
    await db.query(`INSERT INTO booking.booking_items (booking_id, seat_id, price) VALUES ($1, gen_random_uuid(), 15.05), ($1, gen_random_uuid(), 15.05)`, [
      bookingId,
    ]);
    const booking = await db.getRepository(BookingRow).findOneOrFail({ where: { id: bookingId }, relations: { items: true } });
    expect(booking).toMatchObject({ status: 'PENDING', currency: 'USD', totalAmount: '30.10', ticketReference: null });
    expect(booking.items.map((item) => item.price)).toEqual(['15.05', '15.05']);
    await db.query('DELETE FROM booking.bookings WHERE id = $1', [bookingId]);
    expect(await db.query('SELECT count(*)::int AS n FROM booking.booking_items')).toEqual([{ n: 0 }]); // ON DELETE CASCADE
  });

  it('is repeatable: down() removes what it created, and running it again recreates the same schema', async () => {
    await db.undoLastMigration();
    const undone = await inspect(db);
    expect({ tables: Object.keys(undone.columns), indexes: undone.indexes, enums: undone.enums }).toEqual({ tables: [], indexes: {}, enums: {} });
    // The schemas themselves belong to the previous migration, which stays.
    const left: { nspname: string }[] = await db.query(`SELECT nspname FROM pg_namespace WHERE nspname = ANY($1) ORDER BY 1`, [schemas]);
    expect(left.map((r) => r.nspname)).toEqual(['booking', 'catalog', 'payment', 'projections']);

    await db.runMigrations();
    expect(await inspect(db)).toEqual(schema);
  });
});
