using Portal.Benchmarks;

// Usage: dotnet run -c Release --project tests/Portal.Benchmarks -- <scenario>|all
// Each figure is printed on its own line as "BENCH <scenario>.<figure> <value> <unit>".
var scenarios = new Dictionary<string, Func<BenchContext, Task>>(StringComparer.OrdinalIgnoreCase)
{
    ["commit-100k"] = VersionScenarios.Commit100kAsync,
    ["million"] = VersionScenarios.MillionAsync,
    ["blob-1g"] = BlobScenarios.Upload1GiBAsync,
    ["lineage-impact"] = LineageScenarios.ImpactAsync,
    ["lineage-render"] = LineageScenarios.RenderAsync,
    ["pages-1m"] = PageScenarios.MillionFilePagesAsync,
    ["pages-home"] = HomePageScenario.RunAsync,
    ["validate-1g"] = ValidationScenarios.Validate1GiBAsync,
    ["compare-1m"] = ValidationScenarios.Compare1MAsync,
    ["pii-corpus"] = PiiCorpusScenario.RunAsync,
    ["peers"] = PeerScenarios.RunAsync,
    ["large-file"] = LargeFileScenario.RunAsync,
    ["manifest-memory"] = MemoryScenarios.ManifestBurstAsync,
    ["changes"] = ChangeFeedScenario.RunAsync,
    ["registry-link"] = RegistryScenarios.Link100kAsync,
    ["evaluations"] = EvaluationScenarios.RunAsync,
    ["evidence"] = EvidenceScenarios.RunAsync,
};

var wanted = args.Length == 0 ? "all" : args[0];
if (wanted != "all" && !scenarios.ContainsKey(wanted))
{
    Console.Error.WriteLine($"unknown scenario '{wanted}'; choose one of: {string.Join(", ", scenarios.Keys)}, all");
    return 2;
}

await using var context = await BenchContext.StartAsync();
foreach (var (name, run) in scenarios)
{
    if (wanted != "all" && !string.Equals(wanted, name, StringComparison.OrdinalIgnoreCase))
        continue;
    Console.Error.WriteLine($"== {name}");
    await run(context);
}

return 0;
