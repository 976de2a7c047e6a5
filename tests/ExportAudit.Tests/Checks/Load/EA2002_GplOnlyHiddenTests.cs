using ExportAudit.Checks.Load;
using ExportAudit.Model;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Checks.Load;

public class EA2002_GplOnlyHiddenTests
{
    private static readonly Export[] Kernel = [Make.Export("gpl_fn", ExportKind.GplOnly), Make.Export("plain_fn")];

    [Fact]
    public void ProprietaryModule_CannotSeeGplOnlyExports_UnknownSymbolErr2()
    {
        var (loads, sim) = Sim.Run(Kernel, null, Sim.Prop("p", ["plain_fn", "gpl_fn"]));
        Assert.Equal(["p: module license 'Proprietary' taints kernel.", "p: Unknown symbol gpl_fn (err -2)"], Sim.Lines(loads[0]));
        Assert.Equal(Errnos.ENOENT, loads[0].Errno);
        Assert.Contains(sim.Findings, f => f.Rule == LoadRules.GplOnlyHidden && f.Symbol == "gpl_fn");
    }

    [Fact]
    public void GplModule_SeesThem()
    {
        var (loads, _) = Sim.Run(Kernel, null, Sim.Gpl("g", ["gpl_fn"]));
        Assert.True(loads[0].Loaded);
        Assert.Empty(Sim.Lines(loads[0]));
    }

    [Fact]
    public void WeakGplOnlyImport_OfAProprietaryModule_StaysUnresolvedSilently()
    {
        var module = Sim.Prop("p", []) with { Imports = [new Import("gpl_fn", Weak: true)] };
        var (loads, _) = Sim.Run(Kernel, null, module);
        Assert.True(loads[0].Loaded);
    }

    [Fact]
    public void WalkGoesOnAfterAFailure()
    {
        var (loads, _) = Sim.Run(Kernel, null, Sim.Prop("p", ["gpl_fn", "missing", "gpl_fn"]));
        Assert.Equal(3, Sim.Lines(loads[0]).Count(l => l.Contains("Unknown symbol")));
    }
}
