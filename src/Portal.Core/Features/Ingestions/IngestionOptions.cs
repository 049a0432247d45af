using static Portal.Core.ValidatedOptions;
namespace Portal.Core.Features.Ingestions;

/// <summary>Configuration section <c>Ingestion</c>: limits of uploads and zips, and what references may point at.</summary>
public sealed class IngestionOptions : IValidatedOptions
{
    public const string Section = "Ingestion";

    /// <summary>Folder of the per-ingestion staging folders; empty means <c>ingestions</c> under <c>Storage:Root</c>.</summary>
    public string StagingRoot { get; set; } = "";

    /// <summary>Total bytes one upload may stage.</summary>
    public long MaxUploadBytes { get; set; } = 20L * 1024 * 1024 * 1024;

    /// <summary>Files one upload may stage.</summary>
    public int MaxUploadFiles { get; set; } = 100_000;

    /// <summary>Entries a zip may hold (directories included): a zip bomb made of entries is refused before anything is read.</summary>
    public int MaxZipEntries { get; set; } = 100_000;

    /// <summary>Bytes all entries of a zip may expand to, counted while they are read as well as from the directory.</summary>
    public long MaxZipExpandedBytes { get; set; } = 50L * 1024 * 1024 * 1024;

    /// <summary>References one request may list.</summary>
    public int MaxReferences { get; set; } = 10_000;

    /// <summary>Folders <c>file://</c> references may point into (after resolving symlinks); none means file references are refused.</summary>
    public List<string> AllowedFileRoots { get; set; } = [];

    /// <summary>Allow plain <c>http://</c> references (tests against a local server); https only by default.</summary>
    public bool AllowHttp { get; set; }

    /// <summary>Allow fetching from loopback, private, link-local and other non-public addresses (tests); refused by default.</summary>
    public bool AllowPrivateAddresses { get; set; }

    /// <summary>Largest object one https reference may be.</summary>
    public long MaxFetchBytes { get; set; } = 20L * 1024 * 1024 * 1024;

    /// <summary>Time to connect and receive the response headers of one fetch.</summary>
    public TimeSpan FetchHeadersTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest time a fetch may go without receiving a byte.</summary>
    public TimeSpan FetchIdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Redirects followed per fetch (each must stay on https).</summary>
    public int MaxRedirects { get; set; } = 5;

    /// <summary>An upload left receiving this long (the browser went away) is failed and its staging folder removed at start-up.</summary>
    public TimeSpan AbandonedUploadAge { get; set; } = TimeSpan.FromHours(24);

    public IEnumerable<string> Problems()
    {
        var problems = Positive("Ingestion:MaxUploadBytes", MaxUploadBytes)
            .Concat(Positive("Ingestion:MaxUploadFiles", MaxUploadFiles))
            .Concat(Positive("Ingestion:MaxZipEntries", MaxZipEntries))
            .Concat(Positive("Ingestion:MaxZipExpandedBytes", MaxZipExpandedBytes))
            .Concat(Positive("Ingestion:MaxReferences", MaxReferences))
            .Concat(Positive("Ingestion:MaxFetchBytes", MaxFetchBytes))
            .Concat(Positive("Ingestion:FetchHeadersTimeout", FetchHeadersTimeout))
            .Concat(Positive("Ingestion:FetchIdleTimeout", FetchIdleTimeout))
            .Concat(AtLeast("Ingestion:MaxRedirects", MaxRedirects, 0))
            .Concat(Positive("Ingestion:AbandonedUploadAge", AbandonedUploadAge))
            .ToList();
        problems.AddRange(AllowedFileRoots.Where(r => !Path.IsPathFullyQualified(r))
            .Select(r => $"Ingestion:AllowedFileRoots lists '{r}', which is not an absolute path such as /srv/datasets."));
        return problems;
    }
}
