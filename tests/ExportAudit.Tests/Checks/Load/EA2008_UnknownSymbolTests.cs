using ExportAudit.Checks.Load;
using ExportAudit.Model;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Checks.Load;

public class EA2008_UnknownSymbolTests
{
    [Fact]
    public void SymbolNobodyExports_UnknownSymbolErr2()
    {
        var (loads, sim) = Sim.Run([], null, Sim.Gpl("m", ["nope"]));
        Assert.Equal(["m: Unknown symbol nope (err -2)"], Sim.Lines(loads[0]));
        Assert.Same(LoadRules.UnknownSymbol, Assert.Single(sim.Findings).Rule);
    }

    [Fact]
    public void SymbolOfAModuleThatFailedToLoad_IsUnknown()
    {
        var broken = Sim.Gpl("dep", ["nope"]) with { Exports = [Make.Export("dep_fn", owner: "dep")] };
        var (loads, _) = Sim.Run([], null, broken, Sim.Gpl("user", ["dep_fn"], 1));
        Assert.False(loads[0].Loaded);
        Assert.Equal(["user: Unknown symbol dep_fn (err -2)"], Sim.Lines(loads[1]));
    }

    [Fact]
    public void WeakUnknownSymbol_IsFine()
    {
        var (loads, _) = Sim.Run([], null, Sim.Gpl("m", []) with { Imports = [new Import("nope", Weak: true)] });
        Assert.True(loads[0].Loaded);
    }
}
