using Portal.Client;
using Portal.Core.Features.Artifacts;

namespace Portal.Core.Tests.Features.Artifacts;

public class ArtifactNamesTests
{
    [Theory]
    [InlineData("corpus")]
    [InlineData("Corpus.v2_final-1")]
    [InlineData("a")]
    public void Valid_artifact_names_pass(string name) => ArtifactNames.ValidateName(name);

    [Theory]
    [InlineData("")]
    [InlineData("with space")]
    [InlineData("a/b")]
    [InlineData("a:b")]
    [InlineData("ñ")]
    public void Invalid_artifact_names_are_refused(string name) =>
        Assert.Equal(ErrorCodes.ArtifactNameInvalid, Assert.Throws<PortalException>(() => ArtifactNames.ValidateName(name)).Code);

    [Theory]
    [InlineData("dataset", true)]
    [InlineData("raw_data", true)]
    [InlineData("Dataset", false)]
    [InlineData("1data", false)]
    [InlineData("data-set", false)]
    [InlineData("", false)]
    public void Types_are_one_lower_case_word(string type, bool valid)
    {
        if (valid)
            ArtifactNames.ValidateType(type);
        else
            Assert.Equal(ErrorCodes.ArtifactTypeInvalid, Assert.Throws<PortalException>(() => ArtifactNames.ValidateType(type)).Code);
    }

    [Theory]
    [InlineData("latest")]
    [InlineData("v0")]
    [InlineData("v123")]
    [InlineData("6f9619ff-8b86-d011-b42d-00cf4fc964ff")]
    [InlineData("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    public void Names_that_already_mean_a_version_are_reserved(string alias) =>
        Assert.Equal(ErrorCodes.AliasReserved, Assert.Throws<PortalException>(() => ArtifactNames.ValidateCustomAlias(alias)).Code);

    [Theory]
    [InlineData("production")]
    [InlineData("v2-candidate")]
    [InlineData("golden.2024")]
    [InlineData("vnext")]
    public void Ordinary_aliases_pass(string alias) => ArtifactNames.ValidateCustomAlias(alias);

    [Fact]
    public void Index_references_parse_and_format()
    {
        Assert.Equal(12, ArtifactNames.ParseIndex("v12"));
        Assert.Null(ArtifactNames.ParseIndex("v"));
        Assert.Null(ArtifactNames.ParseIndex("v-1"));
        Assert.Null(ArtifactNames.ParseIndex("v99999999999"));
        Assert.Equal("v7", ArtifactNames.FormatIndex(7));
    }
}
