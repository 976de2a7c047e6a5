using ExportAudit.Model;

namespace ExportAudit.Tests.Model;

public class LicenseTests
{
    [Theory]
    [InlineData("GPL")]
    [InlineData("GPL v2")]
    [InlineData("GPL and additional rights")]
    [InlineData("Dual BSD/GPL")]
    [InlineData("Dual MIT/GPL")]
    [InlineData("Dual MPL/GPL")]
    public void TheSixKernelStrings_AreCompatible(string license) => Assert.True(License.IsGplCompatible(license));

    [Theory]
    [InlineData("GPL-2.0")]
    [InlineData("GPLv2")]
    [InlineData("GPL ")]
    [InlineData(" GPL")]
    [InlineData("gpl")]
    [InlineData("Dual BSD/GPL ")]
    [InlineData("GPL-2.0-only")]
    [InlineData("Proprietary")]
    [InlineData("LGPL")]
    [InlineData("unspecified")]
    [InlineData("")]
    public void LookalikeStrings_AreNotCompatible(string license) => Assert.False(License.IsGplCompatible(license));

    [Fact]
    public void Modpost_RequiresEveryLicense_ReturnsTheFirstIncompatible()
    {
        Assert.Null(License.FirstIncompatible(["GPL", "Dual MIT/GPL"]));
        Assert.Equal("Proprietary", License.FirstIncompatible(["GPL", "Proprietary", "GPLv2"]));
        Assert.Null(License.FirstIncompatible([]));
    }

    [Fact]
    public void Loader_LooksOnlyAtTheFirst_AndMissingIsUnspecified()
    {
        Assert.Equal("GPL", License.LoaderLicense(["GPL", "Proprietary"]));
        Assert.Equal("Proprietary", License.LoaderLicense(["Proprietary", "GPL"]));
        Assert.Equal("unspecified", License.LoaderLicense([]));
    }
}
