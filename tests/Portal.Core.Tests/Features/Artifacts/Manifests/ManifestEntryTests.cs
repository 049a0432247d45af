using Portal.Client;
using Portal.Core.Features.Artifacts.Manifests;
using Xunit;

namespace Portal.Core.Tests.Features.Artifacts.Manifests;

public class ManifestEntryTests
{
    private const string Digest = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    [Theory]
    [InlineData(null)]
    [InlineData("s3://bucket/key/part-0001.parquet")]
    [InlineData("https://example.com/a%20b?x=1")]
    [InlineData("gs://bucket/object")]
    [InlineData("az://account/container/blob")]
    public void Valid_entries_pass(string? reference)
    {
        new ManifestEntry("a/b.txt", Digest, 0, reference, "{\"k\":1}").Validate();
        new ManifestEntry("a/b.txt", Digest, long.MaxValue, reference).Validate();
    }

    [Theory]
    [InlineData("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD")]
    [InlineData("ba7816bf")]
    [InlineData("")]
    [InlineData("d41d8cd98f00b204e9800998ecf8427e")]
    public void Digest_must_be_64_lower_hex(string digest)
    {
        var error = Assert.Throws<PortalException>(() => new ManifestEntry("a.txt", digest, 1).Validate());
        Assert.Equal((400, ErrorCodes.DigestInvalid), (error.Status, error.Code));
        Assert.Equal("a.txt", error.Extensions["path"]);
    }

    [Fact]
    public void Size_must_not_be_negative()
    {
        var error = Assert.Throws<PortalException>(() => new ManifestEntry("a.txt", Digest, -1).Validate());
        Assert.Equal((400, ErrorCodes.SizeInvalid), (error.Status, error.Code));
    }

    [Theory]
    [InlineData("")]
    [InlineData("relative/key")]
    [InlineData("/etc/passwd")]
    [InlineData("s3://bucket/a b")]
    [InlineData("s3://bucket/a\tb")]
    [InlineData("s3://bucket/a\nb")]
    [InlineData("1s3://bucket")]
    [InlineData("://bucket")]
    public void Ref_must_be_an_absolute_uri_with_a_scheme(string reference)
    {
        var error = Assert.Throws<PortalException>(() => new ManifestEntry("a.txt", Digest, 1, reference).Validate());
        Assert.Equal((400, ErrorCodes.RefInvalid), (error.Status, error.Code));
    }

    [Fact]
    public void Path_is_validated()
    {
        var error = Assert.Throws<PortalException>(() => new ManifestEntry("../a.txt", Digest, 1).Validate());
        Assert.Equal(ErrorCodes.PathInvalid, error.Code);
    }
}
