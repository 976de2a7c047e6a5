using ExportAudit.Model;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Model;

public class SymbolTableTests
{
    [Fact]
    public void SameOwnerInTwoSources_IsOneExport_AndKeepsWhatEitherKnew()
    {
        var builder = new SymbolTableBuilder();
        builder.Add(Make.Export("foo", owner: "drivers/x/x", crc: 0x1234), "Module.symvers");
        builder.Add(Make.Export("foo", owner: "drivers/x/x") with { Definition = new Site("drivers/x/x.c", 10) }, "tree");
        var table = builder.Build();
        Assert.Empty(table.Clashes);
        var foo = table.Find("foo")!;
        Assert.Equal(0x1234u, foo.Crc);
        Assert.Equal(new Site("drivers/x/x.c", 10), foo.Definition);
    }

    [Fact]
    public void SameOwnerTwiceInOneSource_IsAClash()
    {
        var builder = new SymbolTableBuilder();
        builder.Add(Make.Export("foo", owner: "m"), "a");
        builder.Add(Make.Export("foo", owner: "m"), "a");
        Assert.Single(builder.Build().Clashes);
    }

    [Fact]
    public void ExternalBuild_SilentlyTakesAModulesReexport_ButNotVmlinuxs()
    {
        var builder = new SymbolTableBuilder(externalBuild: true);
        builder.Add(Make.Export("from_module", owner: "drivers/a/a"), "symvers");
        builder.Add(Make.Export("from_vmlinux", owner: "vmlinux"), "symvers");
        builder.Add(Make.Export("from_module", owner: "/ext/b"), "input:b");
        builder.Add(Make.Export("from_vmlinux", owner: "/ext/b"), "input:b");
        var table = builder.Build();
        var clash = Assert.Single(table.Clashes);
        Assert.Equal("from_vmlinux", clash.Current.Name);
        Assert.Equal("/ext/b", table.Find("from_module")!.Owner); // later wins, as in modpost's hash
        Assert.Equal("/ext/b", table.Find("from_vmlinux")!.Owner);
    }

    [Fact]
    public void InTreeBuild_ReportsEveryClashBetweenOwners()
    {
        var builder = new SymbolTableBuilder(externalBuild: false);
        builder.Add(Make.Export("sym", owner: "drivers/a/a"), "x");
        builder.Add(Make.Export("sym", owner: "drivers/b/b"), "y");
        Assert.Single(builder.Build().Clashes);
    }

    [Fact]
    public void Modversions_IsWhetherVmlinuxExportsModuleLayout()
    {
        Assert.True(Make.Table(Make.Export("module_layout", crc: 1)).HasModversions);
        Assert.False(Make.Table(Make.Export("printk")).HasModversions);
    }
}
