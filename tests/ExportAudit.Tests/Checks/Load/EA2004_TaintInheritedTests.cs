using ExportAudit.Checks.Load;
using ExportAudit.Model;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Checks.Load;

public class EA2004_TaintInheritedTests
{
    private static readonly Export[] Kernel = [Make.Export("gpl_fn", ExportKind.GplOnly)];
    private static KernelModule Core => Sim.Prop("core", [], 0, [Make.Export("core_fn", owner: "core"), Make.Export("core_fn2", owner: "core")]);

    [Fact]
    public void ProprietarySymbolFirst_InheritsTaint_ThenGplOnlyImportsAreInvisible()
    {
        var (loads, sim) = Sim.Run(Kernel, null, Core, Sim.Gpl("glue", ["core_fn", "core_fn2", "gpl_fn"], 1));
        Assert.Equal(
            ["glue: module uses symbols core_fn from proprietary module core, inheriting taint.", "glue: Unknown symbol gpl_fn (err -2)"],
            Sim.Lines(loads[1]));
        Assert.Single(sim.Findings, f => f.Rule == LoadRules.TaintInherited);
        Assert.Contains(sim.Findings, f => f.Rule == LoadRules.GplOnlyHidden && f.Module == "glue");
    }

    [Fact]
    public void Inheriting_TaintsTheModule_NotTheKernel()
    {
        var (loads, _) = Sim.Run([], null, Core with { Licenses = ["GPL"], InTree = true }, Sim.Gpl("user", ["core_fn"], 1));
        Assert.Equal("", loads[1].ModuleTaints); // core is GPL here: nothing to inherit
        var (loads2, _) = Sim.Run([], null, Core, Sim.Gpl("user", ["core_fn"], 1));
        Assert.Equal("P", loads2[1].ModuleTaints);
        Assert.Equal("P", loads2[0].KernelTaintsAfter); // from core's own license, not from the inheritance
    }
}
