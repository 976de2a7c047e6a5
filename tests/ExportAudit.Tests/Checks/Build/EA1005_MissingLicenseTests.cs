using ExportAudit.Checks.Build;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Checks.Build;

public class EA1005_MissingLicenseTests
{
    [Fact]
    public void ModuleWithoutLicense_IsError_NamingTheObject()
    {
        var finding = Assert.Single(Make.Modpost([], Make.Module("nolic", [], path: "/ext/dir/nolic.o")));
        Assert.Same(MissingLicenseRule.Descriptor, finding.Rule);
        Assert.Equal("missing MODULE_LICENSE() in /ext/dir/nolic.o", finding.Message);
    }

    [Fact]
    public void ModuleWithAnyLicense_IsFine_EvenAnIncompatibleOne()
    {
        Assert.Empty(Make.Modpost([], Make.Module("prop", ["Proprietary"])));
    }

    [Fact]
    public void MissingLicense_IsReportedWhileReading_BeforeSymbolChecks()
    {
        var a = Make.Module("a", ["GPL"], ["nope"]);
        var b = Make.Module("b", [], index: 1);
        var findings = Make.Modpost([], a, b);
        Assert.Equal(["EA1005", "EA1003"], findings.OrderBy(f => f.Order).Select(f => f.Rule.Id));
    }
}
