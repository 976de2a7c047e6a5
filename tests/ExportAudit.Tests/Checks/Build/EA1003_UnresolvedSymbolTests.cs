using ExportAudit.Checks.Build;
using ExportAudit.Model;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Checks.Build;

public class EA1003_UnresolvedSymbolTests
{
    [Fact]
    public void SymbolNobodyExports_IsError_WithModpostsText()
    {
        var finding = Assert.Single(Make.Modpost([Make.Export("printk")], Make.Module("m", imports: ["printk", "no_such"], path: "/ext/m.o")));
        Assert.Same(UnresolvedSymbolRule.Descriptor, finding.Rule);
        Assert.Equal("\"no_such\" [/ext/m.ko] undefined!", finding.Message);
    }

    [Fact]
    public void WeakUndefinedSymbol_MayStayUnresolved()
    {
        var module = Make.Module("m") with { Imports = [new Import("maybe_there", Weak: true)] };
        Assert.Empty(Make.Modpost([], module));
    }

    [Fact]
    public void ThisModuleAndGot_AreNeverChecked()
    {
        Assert.Empty(Make.Modpost([], Make.Module("m", imports: ["__this_module", "_GLOBAL_OFFSET_TABLE_"])));
    }

    [Fact]
    public void WithModversions_ModuleLayoutIsChecked_LikeAnyImport()
    {
        // modpost adds module_layout to every module's undefined symbols when the kernel has CONFIG_MODVERSIONS.
        var kernel = new[] { Make.Export("module_layout", crc: 0x1) };
        Assert.Empty(Make.Modpost(kernel, Make.Module("m", imports: [])));
    }

    [Fact]
    public void AnotherInputModulesExport_Resolves()
    {
        var a = Make.Module("a", exports: [Make.Export("a_fn", owner: "a")]);
        var b = Make.Module("b", imports: ["a_fn"], index: 1);
        Assert.Empty(Make.Modpost([], a, b));
    }
}
