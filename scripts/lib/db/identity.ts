// Which server and database a connection really reaches, from the server's side:
// the same database reached through two spellings (host name vs IP, pooler port)
// has one identity.

import type { DatabaseIdentity } from '../results/plan.ts';
import type { Query } from './connect.ts';

export async function databaseIdentity(sql: Query): Promise<DatabaseIdentity> {
  const [r] = await sql`
    select (select system_identifier::text from pg_control_system()) as sysid,
           host(inet_server_addr()) as addr, coalesce(inet_server_port(), 0) as port,
           current_database() as db,
           (select oid::int8 from pg_database where datname = current_database()) as oid`;
  return {
    systemIdentifier: r!.sysid ?? null,
    serverAddress: r!.addr ?? null,
    serverPort: Number(r!.port),
    database: String(r!.db),
    databaseOid: Number(r!.oid),
  };
}

export function sameDatabase(a: DatabaseIdentity, b: DatabaseIdentity): boolean {
  return (
    a.systemIdentifier === b.systemIdentifier &&
    a.serverPort === b.serverPort &&
    a.database === b.database &&
    a.databaseOid === b.databaseOid &&
    (a.serverAddress === b.serverAddress || a.serverAddress === null || b.serverAddress === null)
  );
}
