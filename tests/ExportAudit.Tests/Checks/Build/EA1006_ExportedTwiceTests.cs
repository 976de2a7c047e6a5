using ExportAudit.Checks.Build;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Checks.Build;

public class EA1006_ExportedTwiceTests
{
    [Fact]
    public void ModuleReexportingAVmlinuxSymbol_IsError()
    {
        var module = Make.Module("dup", exports: [Make.Export("printk", owner: "/ext/dup")], path: "/ext/dup.o");
        var finding = Assert.Single(Make.Modpost([Make.Export("printk")], module));
        Assert.Same(ExportedTwiceRule.Descriptor, finding.Rule);
        Assert.Equal("/ext/dup: 'printk' exported twice. Previous export was in vmlinux", finding.Message);
    }

    [Fact]
    public void ExternalModuleReexportingAnotherModulesSymbol_IsSilent()
    {
        var module = Make.Module("dup", exports: [Make.Export("drm_fn", owner: "/ext/dup")], path: "/ext/dup.o");
        Assert.Empty(Make.Modpost([Make.Export("drm_fn", owner: "drivers/gpu/drm/drm")], module));
    }

    [Fact]
    public void TwoInputModulesExportingOneSymbol_IsSilentInAnExternalBuild_ButOneModuleTwiceIsNot()
    {
        var a = Make.Module("a", exports: [Make.Export("s", owner: "a")]);
        var b = Make.Module("b", exports: [Make.Export("s", owner: "b")], index: 1);
        Assert.Empty(Make.Modpost([], a, b));
        var twice = Make.Module("t", exports: [Make.Export("s", owner: "t"), Make.Export("s", owner: "t")]);
        Assert.Equal("t: 's' exported twice. Previous export was in t.ko", Assert.Single(Make.Modpost([], twice)).Message);
    }
}
