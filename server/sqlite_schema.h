// The SQLite store's schema: every migration since the first release, and the connection
// settings durability rests on (WAL, synchronous=FULL). Shipped migrations never change; a new
// schema is a new entry, run with its version bump in one transaction.
#ifndef YARDGATE_SERVER_SQLITE_SCHEMA_H_
#define YARDGATE_SERVER_SQLITE_SCHEMA_H_

#include <SQLiteCpp/Database.h>

namespace yardgate::server {

// WAL, synchronous=FULL, foreign keys, a busy timeout. Throws SQLite::Exception.
void ConfigureSqlite(SQLite::Database& db);

// Brings `db` to the latest schema and returns the version it is at. Throws for a database
// written by a newer build.
int MigrateSqlite(SQLite::Database& db);

int LatestSqliteSchemaVersion();

}  // namespace yardgate::server

#endif  // YARDGATE_SERVER_SQLITE_SCHEMA_H_
