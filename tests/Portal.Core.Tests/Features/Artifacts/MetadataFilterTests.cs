using Portal.Client;
using Portal.Core;
using Portal.Core.Features.Artifacts;

namespace Portal.Core.Tests.Features.Artifacts;

/// <summary>Metadata filters of version listings (key=value on the version metadata JSON).</summary>
public sealed class MetadataFilterTests
{
    [Theory]
    [InlineData("{\"split\":\"train\"}", "split=train", true)]
    [InlineData("{\"split\":\"test\"}", "split=train", false)]
    [InlineData("{\"rows\":1000}", "rows=1e3", true)]
    [InlineData("{\"source\":{\"team\":\"search\"}}", "source.team=search", true)]
    [InlineData("{\"source\":\"search\"}", "source.team=search", false)]
    [InlineData("{\"ok\":true}", "ok=true", true)]
    [InlineData("{\"gone\":null}", "gone=null", true)]
    [InlineData("not json", "a=b", false)]
    public void Metadata_filters_match_strings_numbers_booleans_and_nested_keys(string json, string filter, bool matches) =>
        Assert.Equal(matches, MetadataFilter.Parse(filter)!.Matches(json));

    [Theory]
    [InlineData("split")]
    [InlineData("=train")]
    [InlineData("a..b=c")]
    public void A_metadata_filter_without_a_key_is_refused(string filter) =>
        Assert.Equal(ErrorCodes.ValidationFailed, Assert.Throws<PortalException>(() => MetadataFilter.Parse(filter)).Code);
}
