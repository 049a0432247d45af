using Portal.Client;
using Portal.Core.Storage;
using Xunit;

namespace Portal.Core.Tests.Storage;

public class ContentDigestTests
{
    [Fact]
    public void Of_is_lower_case_sha256_hex()
    {
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", ContentDigest.Of("abc"u8));
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", ContentDigest.Of([]));
    }

    [Theory]
    [InlineData("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", true)]
    [InlineData("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", false)]
    [InlineData("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a", false)]
    [InlineData("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0", false)]
    [InlineData("ga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", false)]
    [InlineData("../../../../etc/passwd", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsValid_accepts_only_64_lower_hex(string? digest, bool valid)
    {
        Assert.Equal(valid, ContentDigest.IsValid(digest));
        if (!valid)
        {
            var error = Assert.Throws<PortalException>(() => ContentDigest.Validate(digest));
            Assert.Equal(400, error.Status);
            Assert.Equal(ErrorCodes.DigestInvalid, error.Code);
        }
    }
}
