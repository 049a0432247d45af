using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Portal.Core.Data;

/// <summary>
/// Recognises provider errors by meaning: "another writer got there first", so callers can re-read and carry on, and
/// "the database is full", which the API answers with 507 <c>storage_full</c>.
/// </summary>
public static class DatabaseErrors
{
    public static bool IsUniqueViolation(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                // SQLITE_CONSTRAINT_PRIMARYKEY (1555) and SQLITE_CONSTRAINT_UNIQUE (2067).
                case SqliteException sqlite when sqlite.SqliteExtendedErrorCode is 1555 or 2067:
                    return true;
                case PostgresException postgres when postgres.SqlState == PostgresErrorCodes.UniqueViolation:
                    return true;
                case Microsoft.Data.SqlClient.SqlException sql when sql.Number is 2627 or 2601:
                    return true;
            }
        }
        return false;
    }

    /// <summary>A lost optimistic-concurrency race or a unique-key race: worth retrying the whole unit of work.</summary>
    public static bool IsWriteConflict(Exception exception)
    {
        if (exception is DbUpdateConcurrencyException || IsUniqueViolation(exception))
            return true;
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is PostgresException { SqlState: PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected }
                || e is Microsoft.Data.SqlClient.SqlException { Number: 1205 }
                || e is SqliteException { SqliteErrorCode: 5 or 6 })
                return true;
        }
        return false;
    }

    /// <summary>
    /// The database has no room left: SQLite SQLITE_FULL (13, also when <c>max_page_count</c> is reached), PostgreSQL
    /// 53100 disk_full, SQL Server 1105 (filegroup full) and 9002 (transaction log full).
    /// </summary>
    public static bool IsStorageFull(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is SqliteException { SqliteErrorCode: 13 }
                || e is PostgresException { SqlState: PostgresErrorCodes.DiskFull }
                || e is Microsoft.Data.SqlClient.SqlException { Number: 1105 or 9002 })
                return true;
        }
        return false;
    }
}
