using ExportAudit.Checks.Load;
using ExportAudit.Model;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Checks.Load;

public class EA2003_GplShimRefusedTests
{
    private static readonly Export[] Kernel = [Make.Export("gpl_fn", ExportKind.GplOnly)];
    private static KernelModule Core => Sim.Prop("core", [], 0, [Make.Export("core_fn", owner: "core")]);

    [Fact]
    public void GplModule_UsingGplOnlyThenProprietarySymbols_IsRefused()
    {
        var (loads, sim) = Sim.Run(Kernel, null, Core, Sim.Gpl("shim", ["gpl_fn", "core_fn"], 1));
        Assert.Equal(
            ["shim: module using GPL-only symbols uses symbols core_fn from proprietary module core.", "shim: Unknown symbol core_fn (err -2)"],
            Sim.Lines(loads[1]));
        Assert.Equal(Errnos.ENOENT, loads[1].Errno);
        var finding = Assert.Single(sim.Findings, f => f.Rule == LoadRules.GplShimRefused);
        Assert.Equal("core", finding.Exporter);
    }

    [Fact]
    public void ShimLoadsAfterItsDependency_WhateverTheInputOrder()
    {
        var (loads, _) = Sim.Run(Kernel, null, Sim.Gpl("shim", ["gpl_fn", "core_fn"]), Core with { InputIndex = 1 });
        Assert.Equal(["core", "shim"], loads.Select(l => l.Module.Name));
    }

    [Fact]
    public void GplModule_UsingOnlyPlainSymbolsOfTheProprietaryModule_Loads_ButInheritsTaint()
    {
        var (loads, _) = Sim.Run(Kernel, null, Core, Sim.Gpl("user", ["core_fn"], 1));
        Assert.True(loads[1].Loaded);
        Assert.Equal("P", loads[1].ModuleTaints);
    }
}
