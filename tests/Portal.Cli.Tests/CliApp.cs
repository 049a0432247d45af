using Portal.Core.Data;

namespace Portal.Cli.Tests;

/// <summary>The portal on a real Kestrel server on 127.0.0.1 (SQLite), for the CLI to talk to over HTTP.</summary>
public sealed class CliApp() : PortalApp(DatabaseProvider.Sqlite)
{
    protected override bool RunsOnKestrel => true;

    public string BaseUrl => ClientOptions.BaseAddress.ToString().TrimEnd('/');

    public PortalClient Sdk(string token) => new(new Uri(BaseUrl), token);
}
