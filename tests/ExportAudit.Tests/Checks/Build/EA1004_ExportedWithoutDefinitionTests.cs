using ExportAudit.Checks.Build;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Checks.Build;

public class EA1004_ExportedWithoutDefinitionTests
{
    [Fact]
    public void ModuleImportingItsOwnExport_IsError_AndNoOtherCheckRunsForIt()
    {
        var module = Make.Module("m", ["Proprietary"], ["m_fn"], exports: [Make.Export("m_fn", ExportAudit.Model.ExportKind.GplOnly, ns: "X", owner: "m")]);
        var finding = Assert.Single(Make.Modpost([], module));
        Assert.Same(ExportedWithoutDefinitionRule.Descriptor, finding.Rule);
        Assert.Equal("\"m_fn\" [m.ko] was exported without definition", finding.Message);
    }

    [Fact]
    public void ModuleImportingAnotherModulesExport_IsFine()
    {
        var a = Make.Module("a", exports: [Make.Export("a_fn", owner: "a")]);
        Assert.Empty(Make.Modpost([], a, Make.Module("b", imports: ["a_fn"])));
    }
}
