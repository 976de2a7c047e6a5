using ExportAudit.Checks.Build;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Checks.Build;

public class EA1007_NoCrcTests
{
    [Fact]
    public void WithModversions_AResolvedSymbolWhoseExporterHasNoCrc_IsWarning()
    {
        var kernel = new[] { Make.Export("module_layout", crc: 1), Make.Export("nocrc") with { CrcAbsent = true } };
        var finding = Assert.Single(Make.Modpost(kernel, Make.Module("m", imports: ["nocrc"])));
        Assert.Same(NoCrcRule.Descriptor, finding.Rule);
        Assert.Equal(ExportAudit.Diagnostics.Severity.Warning, finding.Severity);
        Assert.Equal("\"nocrc\" [m.ko] has no CRC!", finding.Message);
    }

    [Fact]
    public void WithoutModversions_NoCrcIsExpected()
    {
        Assert.Empty(Make.Modpost([Make.Export("nocrc") with { CrcAbsent = true }], Make.Module("m", imports: ["nocrc"])));
    }

    [Fact]
    public void UnknownCrc_IsNotAbsentCrc()
    {
        var kernel = new[] { Make.Export("module_layout", crc: 1), Make.Export("unknown") };
        Assert.Empty(Make.Modpost(kernel, Make.Module("m", imports: ["unknown"])));
    }

    [Fact]
    public void NoCrcWarnings_FollowTheModulesSymbolChecks()
    {
        var kernel = new[] { Make.Export("module_layout", crc: 1), Make.Export("nocrc", ExportAudit.Model.ExportKind.GplOnly) with { CrcAbsent = true } };
        var findings = Make.Modpost(kernel, Make.Module("m", ["Proprietary"], ["nocrc", "missing"]));
        Assert.Equal(["EA1001", "EA1003", "EA1007"], findings.OrderBy(f => f.Order).Select(f => f.Rule.Id));
    }
}
