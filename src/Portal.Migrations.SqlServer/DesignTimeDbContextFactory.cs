using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Portal.Core.Data;

namespace Portal.Migrations.SqlServer;

/// <summary>Lets <c>dotnet ef</c> build the model for this provider; the connection is never opened to add a migration.</summary>
public class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<PortalDbContext>
{
    public PortalDbContext CreateDbContext(string[] args)
    {
        var builder = new DbContextOptionsBuilder<PortalDbContext>();
        var connectionString = Environment.GetEnvironmentVariable("PORTAL_DESIGN_CONNECTION") ?? "Server=localhost;Database=Portal;Trusted_Connection=True;TrustServerCertificate=True";
        DatabaseServiceCollectionExtensions.Configure(builder, DatabaseProvider.SqlServer, connectionString);
        return new PortalDbContext(builder.Options);
    }
}
