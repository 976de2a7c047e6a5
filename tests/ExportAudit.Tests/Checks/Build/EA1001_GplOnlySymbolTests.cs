using ExportAudit.Checks.Build;
using ExportAudit.Model;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Checks.Build;

public class EA1001_GplOnlySymbolTests
{
    private static readonly Export[] Kernel =
    [
        Make.Export("region_intersects", ExportKind.GplOnly),
        Make.Export("printk"),
    ];

    [Theory]
    [InlineData("Proprietary")]
    [InlineData("GPL-2.0")]
    [InlineData("GPLv2")]
    [InlineData("GPL ")]
    [InlineData("gpl")]
    public void GplOnlySymbol_UsedByIncompatibleLicense_IsError(string license)
    {
        var module = Make.Module("prop", [license], ["printk", "region_intersects"]);
        var finding = Assert.Single(Make.Modpost(Kernel, module));
        Assert.Same(GplOnlySymbolRule.Descriptor, finding.Rule);
        Assert.Equal("GPL-incompatible module prop.ko uses GPL-only symbol 'region_intersects'", finding.Message);
        Assert.Equal(license, finding.Evidence.DecidingLicense);
        Assert.Equal("vmlinux", finding.Exporter);
    }

    [Theory]
    [InlineData("GPL")]
    [InlineData("GPL v2")]
    [InlineData("GPL and additional rights")]
    [InlineData("Dual BSD/GPL")]
    [InlineData("Dual MIT/GPL")]
    [InlineData("Dual MPL/GPL")]
    public void GplOnlySymbol_UsedByCompatibleLicense_IsFine(string license)
    {
        Assert.Empty(Make.Modpost(Kernel, Make.Module("ok", [license], ["region_intersects"])));
    }

    [Fact]
    public void TwoLicenses_OneProprietary_IsError_WhicheverComesFirst()
    {
        Assert.Single(Make.Modpost(Kernel, Make.Module("m", ["GPL", "Proprietary"], ["region_intersects"])));
        Assert.Single(Make.Modpost(Kernel, Make.Module("m", ["Proprietary", "GPL"], ["region_intersects"])));
    }

    [Fact]
    public void PlainSymbol_UsedByProprietaryModule_IsFine()
    {
        Assert.Empty(Make.Modpost(Kernel, Make.Module("prop", ["Proprietary"], ["printk"])));
    }

    [Fact]
    public void MissingLicense_IsTreatedAsCompatible_ForThisRule()
    {
        var findings = Make.Modpost(Kernel, Make.Module("nolic", [], ["region_intersects"]));
        Assert.Equal(["EA1005"], findings.Select(f => f.Rule.Id));
    }

    [Fact]
    public void BasenameIsUsed_ForAnExternalModulePath()
    {
        var module = Make.Module("prop", ["Proprietary"], ["region_intersects"], path: "/tmp/build/prop.o");
        Assert.Equal("GPL-incompatible module prop.ko uses GPL-only symbol 'region_intersects'", Assert.Single(Make.Modpost(Kernel, module)).Message);
    }

    [Fact]
    public void GplOnlyExportOfAnotherInputModule_Counts()
    {
        var exporter = Make.Module("gplexp", ["GPL"], exports: [Make.Export("gplexp_fn", ExportKind.GplOnly, owner: "gplexp")]);
        var user = Make.Module("prop", ["Proprietary"], ["gplexp_fn"], index: 1);
        var finding = Assert.Single(Make.Modpost(Kernel, exporter, user));
        Assert.Equal("gplexp", finding.Exporter);
    }
}
