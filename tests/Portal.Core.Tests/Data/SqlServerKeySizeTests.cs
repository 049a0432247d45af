using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Portal.Core.Data;

namespace Portal.Core.Tests.Data;

/// <summary>
/// SQL Server limits index keys: 900 bytes for a clustered index (the primary key), 1,700 for a nonclustered one. A
/// key whose declared columns may exceed the limit is created with a warning and fails the insert of a row that does.
/// </summary>
public sealed class SqlServerKeySizeTests
{
    /// <summary>
    /// Keys over the limit by declaration only, each explained (docs/sqlserver.md). ASP.NET Identity declares user ids,
    /// role ids, login providers and token names <c>nvarchar(450)</c> (900 bytes); the portal's user and role ids are
    /// 36-character GUID strings (72 bytes), so Memberships, PromotionApprovals and UserBlobs keys hold at most 88, 88
    /// and 136 bytes, AspNetUserRoles 144. Login providers are short scheme names and provider keys the identity
    /// provider's subject (under 255 characters by OpenID Connect), token names short constants. A foreign key must
    /// match its principal's length on SQL Server, so narrowing UserId would mean narrowing AspNetUsers.Id and every
    /// key referring to it: a rebuild of the user tables for no stored byte. A new key over the limit fails here.
    /// </summary>
    private static readonly string[] DeclaredOnly =
    [
        "AspNetUserLogins PK (LoginProvider, ProviderKey) 1800",
        "AspNetUserRoles PK (UserId, RoleId) 1800",
        "AspNetUserTokens PK (UserId, LoginProvider, Name) 2700",
        "Memberships PK (ProjectId, UserId) 916",
        "PromotionApprovals PK (RequestId, UserId) 916",
        "UserBlobs PK (UserId, Digest) 964",
    ];

    private static int Bytes(string storeType)
    {
        var type = storeType.ToLowerInvariant();
        var length = Regex.Match(type, @"\((\d+|max)\)") is { Success: true } m ? (m.Groups[1].Value == "max" ? 8000 : int.Parse(m.Groups[1].Value)) : 0;
        return type switch
        {
            _ when type.StartsWith("nvarchar", StringComparison.Ordinal) || type.StartsWith("nchar", StringComparison.Ordinal) => 2 * length,
            _ when type.StartsWith("varchar", StringComparison.Ordinal) || type.StartsWith("char", StringComparison.Ordinal) || type.StartsWith("varbinary", StringComparison.Ordinal) || type.StartsWith("binary", StringComparison.Ordinal) => length,
            "uniqueidentifier" => 16,
            "bigint" => 8,
            "int" => 4,
            "smallint" => 2,
            "tinyint" or "bit" => 1,
            _ when type.StartsWith("datetimeoffset", StringComparison.Ordinal) => 10,
            _ when type.StartsWith("datetime2", StringComparison.Ordinal) => 8,
            "float" => 8,
            "real" => 4,
            _ when type.StartsWith("decimal", StringComparison.Ordinal) => 17,
            _ => throw new InvalidOperationException("Unknown store type " + storeType),
        };
    }

    [Fact]
    public void Primary_keys_fit_900_bytes_and_other_indexes_1700()
    {
        using var db = new PortalDbContext(new DbContextOptionsBuilder<PortalDbContext>().UseSqlServer("Server=unused;Database=portal").Options);
        var model = db.GetService<IDesignTimeModel>().Model;
        var over = new List<string>();
        foreach (var entity in model.GetEntityTypes())
        {
            if (entity.GetTableName() is not { } table)
                continue;
            var store = StoreObjectIdentifier.Table(table, entity.GetSchema());
            int Size(IEnumerable<IReadOnlyProperty> properties) => properties.Sum(p => Bytes(p.GetColumnType(store) ?? p.GetColumnType() ?? ""));
            if (entity.FindPrimaryKey() is { } key && Size(key.Properties) > 900)
                over.Add($"{table} PK ({string.Join(", ", key.Properties.Select(p => p.GetColumnName(store)))}) {Size(key.Properties)}");
            foreach (var index in entity.GetIndexes())
            {
                if (Size(index.Properties) > 1700)
                    over.Add($"{table} index ({string.Join(", ", index.Properties.Select(p => p.GetColumnName(store)))}) {Size(index.Properties)}");
            }
        }

        Assert.True(DeclaredOnly.Order(StringComparer.Ordinal).SequenceEqual(over.Order(StringComparer.Ordinal)),
            "Keys over SQL Server's limit:\n" + string.Join("\n", over.Order(StringComparer.Ordinal)));
    }
}
