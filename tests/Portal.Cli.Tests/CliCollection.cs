namespace Portal.Cli.Tests;

/// <summary>All CLI tests share one Kestrel server; each test makes its own users, projects and temp folders.</summary>
[CollectionDefinition(Name)]
public sealed class CliCollection : ICollectionFixture<CliApp>
{
    public const string Name = "cli";
}
