using ExportAudit.Checks.Load;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Checks.Load;

public class EA2001_LicenseTaintTests
{
    [Fact]
    public void IncompatibleFirstLicense_TaintsOncePerBoot_ButEveryModuleIsP()
    {
        var (loads, sim) = Sim.Run([], null, Sim.Prop("p1", []), Sim.Prop("p2", [], 1));
        Assert.Equal(["p1: module license 'Proprietary' taints kernel."], Sim.Lines(loads[0]));
        Assert.Empty(Sim.Lines(loads[1]));
        Assert.Equal("P", loads[1].ModuleTaints);
        Assert.Equal(2, sim.Findings.Count(f => f.Rule == LoadRules.LicenseTaint));
    }

    [Fact]
    public void LoaderReadsOnlyTheFirstLicense()
    {
        var gplFirst = Make.Module("a", ["GPL", "Proprietary"]) with { InTree = true };
        var (loads, _) = Sim.Run([], null, gplFirst);
        Assert.Empty(Sim.Lines(loads[0]));
        Assert.Equal("", loads[0].ModuleTaints);
    }

    [Fact]
    public void NoLicense_IsUnspecified_AndTaints()
    {
        var (loads, _) = Sim.Run([], null, Make.Module("n", []) with { InTree = true });
        Assert.Equal(["n: module license 'unspecified' taints kernel."], Sim.Lines(loads[0]));
    }

    [Theory]
    [InlineData("GPL-2.0")]
    [InlineData("GPLv2")]
    [InlineData("GPL ")]
    public void LookalikeLicense_Taints(string license)
    {
        var (loads, _) = Sim.Run([], null, Make.Module("l", [license]) with { InTree = true });
        Assert.Equal([$"l: module license '{license}' taints kernel."], Sim.Lines(loads[0]));
    }
}
