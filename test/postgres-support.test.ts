// The test PostgreSQL server itself: starts as whoever we are, answers queries, survives stop/start.
import test from 'ava';
import pg from 'pg';
import { startPostgres } from './support/postgres.js';

test('a real PostgreSQL server starts in a temp dir, stops, starts again with its data, and goes away', async (t) => {
  const server = await startPostgres();
  t.teardown(() => server.destroy());
  const url = await server.createDatabase('probe');
  const query = async (sql: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  };
  await query('CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)');
  await server.stop();
  await t.throwsAsync(query('SELECT 1'));
  await server.start();
  t.deepEqual(await query('SELECT n FROM kept'), [{ n: 42 }]);
});
