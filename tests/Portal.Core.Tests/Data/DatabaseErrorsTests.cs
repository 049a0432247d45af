using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Portal.Core.Data;
using Xunit;

namespace Portal.Core.Tests.Data;

public class DatabaseErrorsTests
{
    [Fact]
    public void A_full_database_is_recognised_on_every_provider_however_wrapped()
    {
        Exception[] full =
        [
            new SqliteException("database or disk is full", 13),
            new DbUpdateException("saving failed", new SqliteException("database or disk is full", 13, 13)),
            new PostgresException("could not extend file: No space left on device", "ERROR", "ERROR", PostgresErrorCodes.DiskFull),
            new DbUpdateException("saving failed", new PostgresException("could not write to file", "ERROR", "ERROR", "53100")),
        ];
        Exception[] other =
        [
            new SqliteException("database is locked", 5),
            new SqliteException("UNIQUE constraint failed", 19, 2067),
            new PostgresException("out of memory", "ERROR", "ERROR", PostgresErrorCodes.OutOfMemory),
            new PostgresException("duplicate key", "ERROR", "ERROR", PostgresErrorCodes.UniqueViolation),
            new IOException("No space left on device"),
        ];

        // SqlException has no public constructor; its numbers 1105 and 9002 are matched the same way.
        Assert.All(full, e => Assert.True(DatabaseErrors.IsStorageFull(e), e.ToString()));
        Assert.All(other, e => Assert.False(DatabaseErrors.IsStorageFull(e), e.ToString()));
    }
}
