using ExportAudit.Checks.Load;
using ExportAudit.Model;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Checks.Load;

public class EA2006_EA2007_SymbolVersionTests
{
    private static readonly Export[] Kernel = [Make.Export("module_layout", crc: 0x1111), Make.Export("printk", crc: 0xaaaa)];

    private static KernelModule With(params (string, uint)[] versions) =>
        Sim.Gpl("m", ["printk"]) with { VersionsState = VersionsState.Present, Versions = versions.Select(v => new KeyValuePair<string, uint>(v.Item1, v.Item2)).ToArray() };

    [Fact]
    public void MatchingCrcs_Load() => Assert.True(Sim.Run(Kernel, null, With(("module_layout", 0x1111), ("printk", 0xaaaa))).Loads[0].Loaded);

    [Fact]
    public void SymbolCrcMismatch_DisagreesAboutVersion_Einval()
    {
        var (loads, sim) = Sim.Run(Kernel, null, With(("module_layout", 0x1111), ("printk", 0xbbbb)));
        Assert.Equal(["m: disagrees about version of symbol printk", "m: Unknown symbol printk (err -22)"], Sim.Lines(loads[0]));
        Assert.Equal(Errnos.EINVAL, loads[0].Errno);
        Assert.Contains(sim.Findings, f => f.Rule == LoadRules.VersionMismatch);
    }

    [Fact]
    public void ModuleLayoutMismatch_RefusesTheModuleBeforeAnythingElse_Enoexec()
    {
        var (loads, _) = Sim.Run(Kernel, null, With(("module_layout", 0x2222), ("printk", 0xaaaa)) with { Licenses = ["Proprietary"] });
        Assert.Equal(["m: disagrees about version of symbol module_layout"], Sim.Lines(loads[0]));
        Assert.Equal(Errnos.ENOEXEC, loads[0].Errno);
    }

    [Fact]
    public void MissingEntry_NoSymbolVersion()
    {
        var (loads, sim) = Sim.Run(Kernel, null, With(("module_layout", 0x1111)));
        Assert.Equal(["m: no symbol version for printk", "m: Unknown symbol printk (err -22)"], Sim.Lines(loads[0]));
        Assert.Contains(sim.Findings, f => f.Rule == LoadRules.NoSymbolVersion);
    }

    [Fact]
    public void UnknownVersions_SkipTheCheck()
    {
        Assert.True(Sim.Run(Kernel, null, Sim.Gpl("m", ["printk"])).Loads[0].Loaded);
    }
}
