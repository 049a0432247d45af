using System.Text.Json;
using CsCheck;
using Portal.Core.Features.Home;
using Portal.Core.Text;
using Portal.TestCommon;

namespace Portal.Core.Tests.Text;

/// <summary>The one reader of recorded payloads that the home and project dashboards share, and counts in words.</summary>
public sealed class PayloadFieldsTests
{
    [Fact]
    public void Members_are_read_by_kind_and_anything_else_reads_as_empty()
    {
        var fields = PayloadFields.Parse("""{"alias":"production","to":{"version":"v4"},"errors":3,"state":7}""");

        Assert.Equal("production", fields.String("alias"));
        Assert.Equal("v4", fields.Nested("to", "version"));
        Assert.Equal(3L, fields.Integer("errors"));
        Assert.Equal("", fields.String("state"));
        Assert.Equal("", fields.String("missing"));
        Assert.Equal("", fields.Nested("alias", "version"));
        Assert.Null(fields.Integer("alias"));
        foreach (var unreadable in new[] { null, "", "not json", "[1,2]", "\"text\"", "{\"a\":" })
        {
            var empty = PayloadFields.Parse(unreadable);
            Assert.Equal("", empty.String("a"));
            Assert.Null(empty.Integer("a"));
        }
    }

    [Fact]
    public void Any_string_written_by_the_serializer_reads_back_the_same()
    {
        SeededProperty.Check(Gen.Select(Gen.String, Gen.String, Gen.Long), 2_000, input =>
        {
            var (alias, version, count) = input;
            var json = JsonSerializer.Serialize(new { alias, to = new { version }, count });
            var fields = PayloadFields.Parse(json);
            Assert.Equal(alias, fields.String("alias"));
            Assert.Equal(version, fields.Nested("to", "version"));
            Assert.Equal(count, fields.Integer("count"));
        });
    }

    [Theory]
    [InlineData(HomeDashboard.ProtectedAliasMoves, 1, "1 protected alias move")]
    [InlineData(HomeDashboard.ProtectedAliasMoves, 2, "2 protected alias moves")]
    [InlineData(HomeDashboard.NewVersions, 1, "1 version")]
    [InlineData(HomeDashboard.NewVersions, 0, "0 versions")]
    [InlineData(HomeDashboard.Decisions, 1, "1 decision")]
    [InlineData(HomeDashboard.FailedValidations, 1, "1 failed validation")]
    [InlineData(HomeDashboard.CompareReports, 12345, "12,345 compare reports")]
    public void News_counts_agree_in_number(string kind, int count, string expected) =>
        Assert.Equal(expected, HomeDashboard.CountOf(kind, count));

    [Fact]
    public void A_failed_validation_with_one_error_says_error()
    {
        var one = HomeDashboard.Describe(1, Portal.Core.Features.Events.PortalEventTypes.ValidationFinished, DateTimeOffset.UnixEpoch, "demo",
            """{"artifact":"corpus","state":"failed","errors":1}""");
        Assert.Equal("validation of corpus failed (1 error)", one.Description);
    }
}
