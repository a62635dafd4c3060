import { Client } from 'pg';

/** What the test provider's own ledger says it did for a payment: its charges and refunds, and how often each was asked. */
export const providerLedger = async (databaseUrl: string, paymentId?: string) => {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ kind: 'charge' | 'refund'; payment_id: string; calls: number; accepted: boolean }>(
      `SELECT kind, payment_id, calls, accepted_at IS NOT NULL AS accepted FROM test_payment_provider.operations
        WHERE $1::uuid IS NULL OR payment_id = $1 ORDER BY created_at`,
      [paymentId ?? null],
    );
    return rows;
  } finally {
    await client.end();
  }
};
