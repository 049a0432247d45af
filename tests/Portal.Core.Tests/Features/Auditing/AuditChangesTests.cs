using Portal.Core.Features.Auditing;

namespace Portal.Core.Tests.Features.Auditing;

public sealed class AuditChangesTests
{
    [Fact]
    public void A_created_record_lists_every_key_with_no_old_value()
    {
        var changes = AuditChanges.Parse(null, """{"url":"https://hooks.example/x","events":["version.committed"],"active":true}""");

        Assert.Equal(
            [new AuditChange("url", null, "https://hooks.example/x"), new AuditChange("events", null, """["version.committed"]"""), new AuditChange("active", null, "true")],
            changes);
    }

    [Fact]
    public void An_update_lists_only_the_keys_that_changed_and_flattens_nested_objects()
    {
        var changes = AuditChanges.Parse(
            """{"alias":"production","version":"v1","policy":{"approvals":1,"role":"Reviewer"}}""",
            """{"alias":"production","version":"v2","policy":{"approvals":2,"role":"Reviewer"}}""");

        Assert.Equal([new AuditChange("version", "v1", "v2"), new AuditChange("policy.approvals", "1", "2")], changes);
    }

    [Fact]
    public void A_removed_key_and_a_deleted_record_keep_the_old_value()
    {
        Assert.Equal([new AuditChange("role", "Viewer", null)], AuditChanges.Parse("""{"email":"a@b","role":"Viewer"}""", """{"email":"a@b"}"""));
        Assert.Equal([new AuditChange("email", "a@b", null)], AuditChanges.Parse("""{"email":"a@b"}""", null));
    }

    [Fact]
    public void An_unchanged_record_still_shows_its_keys()
    {
        Assert.Equal([new AuditChange("name", "x", "x")], AuditChanges.Parse("""{"name":"x"}""", """{"name":"x"}"""));
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("{\"unterminated\": ")]
    [InlineData("")]
    [InlineData("{\"a\":1}}")]
    public void Text_that_is_not_json_shows_as_it_is(string stored)
    {
        var change = Assert.Single(AuditChanges.Parse(null, stored));

        Assert.Equal(new AuditChange(AuditChanges.ValueKey, null, stored), change);
    }

    [Theory]
    [InlineData("42", "42")]
    [InlineData("\"plain\"", "plain")]
    [InlineData("[1,2]", "[1,2]")]
    [InlineData("null", null)]
    public void A_bare_value_shows_under_the_value_key(string stored, string? shown)
    {
        Assert.Equal([new AuditChange(AuditChanges.ValueKey, null, shown)], AuditChanges.Parse(null, stored));
    }

    [Fact]
    public void Deep_nesting_and_many_keys_do_not_crash_and_are_bounded()
    {
        var deep = string.Concat(Enumerable.Repeat("{\"a\":", 100)) + "1" + new string('}', 100);
        var shown = Assert.Single(AuditChanges.Parse(null, deep));
        Assert.Equal(AuditChanges.ValueKey, shown.Key);

        var wide = "{" + string.Join(',', Enumerable.Range(0, 500).Select(i => $"\"k{i}\":{i}")) + "}";
        var changes = AuditChanges.Parse(null, wide);
        Assert.Equal(AuditChanges.MaxKeys + 1, changes.Count);
        Assert.Contains("300 more keys", changes[^1].New, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_objects_and_empty_input_give_an_empty_list()
    {
        Assert.Empty(AuditChanges.Parse(null, null));
        Assert.Equal([new AuditChange("meta", null, "{}")], AuditChanges.Parse(null, """{"meta":{}}"""));
    }
}
