using ExportAudit.Checks.Load;
using ExportAudit.Model;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Checks.Load;

public class EA2009_KnownProprietaryNameTests
{
    private static readonly Export[] Kernel = [Make.Export("gpl_fn", ExportKind.GplOnly)];

    [Fact]
    public void Ndiswrapper_TaintsTheKernel_ButKeepsGplOnlySymbols()
    {
        var (loads, _) = Sim.Run(Kernel, null, Sim.Gpl("ndiswrapper", ["gpl_fn"]));
        Assert.Equal(["ndiswrapper: module license taints kernel."], Sim.Lines(loads[0]));
        Assert.True(loads[0].Loaded);
        Assert.Equal("", loads[0].ModuleTaints);
        Assert.Equal("P", loads[0].KernelTaintsAfter);
    }

    [Theory]
    [InlineData("driverloader")]
    [InlineData("lve")]
    public void DriverloaderAndLve_TaintThemselves_AndLoseGplOnlySymbols(string name)
    {
        var (loads, _) = Sim.Run(Kernel, null, Sim.Gpl(name, ["gpl_fn"]));
        Assert.Equal([$"{name}: module license taints kernel.", $"{name}: Unknown symbol gpl_fn (err -2)"], Sim.Lines(loads[0]));
    }

    [Fact]
    public void AlreadyTaintedKernel_PrintsNothing()
    {
        var (loads, sim) = Sim.Run(Kernel, null, Sim.Prop("p", []), Sim.Gpl("driverloader", [], 1));
        Assert.Empty(Sim.Lines(loads[1]));
        Assert.Contains(sim.Findings, f => f.Rule == LoadRules.KnownProprietaryName);
    }
}

public class EA2010_ForcedLoadTests
{
    private static readonly Export[] Kernel = [Make.Export("module_layout", crc: 0x1111), Make.Export("printk", crc: 0xaaaa)];

    [Fact]
    public void NoVersionsSection_IsForceLoaded_PrintingOnceForModuleLayout()
    {
        var module = Sim.Gpl("m", ["printk"]) with { VersionsState = VersionsState.NoSection };
        var (loads, _) = Sim.Run(Kernel, null, module, module with { Name = "m2", InputIndex = 1 });
        Assert.Equal(["m: module_layout: kernel tainted."], Sim.Lines(loads[0]));
        Assert.True(loads[0].Loaded);
        Assert.Equal("F", loads[0].ModuleTaints);
        Assert.Empty(Sim.Lines(loads[1]));
    }

    [Fact]
    public void WithoutForceLoad_IsRefused()
    {
        var module = Sim.Gpl("m", ["printk"]) with { VersionsState = VersionsState.NoSection };
        var (loads, _) = Sim.Run(Kernel, new KernelTraits { ForceLoad = false }, module);
        Assert.Equal(Errnos.ENOEXEC, loads[0].Errno);
    }
}

public class EA2011_VermagicTests
{
    [Fact]
    public void VermagicMismatch_IsRefused()
    {
        var module = Sim.Gpl("m", []) with { Vermagic = "6.1.0-9-amd64 SMP preempt mod_unload modversions " };
        var (loads, _) = Sim.Run([], new KernelTraits { Vermagic = "6.1.0-26-amd64 SMP preempt mod_unload " }, module);
        Assert.Equal(["m: version magic '6.1.0-9-amd64 SMP preempt mod_unload modversions ' should be '6.1.0-26-amd64 SMP preempt mod_unload '"], Sim.Lines(loads[0]));
        Assert.Equal(Errnos.ENOEXEC, loads[0].Errno);
    }

    [Fact]
    public void WithCrcs_TheReleaseIsNotCompared()
    {
        Assert.True(LoadSimulator.SameMagic("6.1.0-9-amd64 SMP mod_unload ", "6.1.0-26-amd64 SMP mod_unload ", hasCrcs: true));
        Assert.False(LoadSimulator.SameMagic("6.1.0-9-amd64 SMP mod_unload ", "6.1.0-26-amd64 SMP mod_unload ", hasCrcs: false));
    }
}

public class EA2012_EA2013_OutOfTreeAndSignatureTests
{
    [Fact]
    public void OutOfTreeAndUnsigned_PrintOncePerBoot_InTheLoadersOrder()
    {
        var traits = new KernelTraits { ModuleSig = true };
        var a = Make.Module("a", ["Proprietary"]);
        var b = Make.Module("b", ["GPL"], index: 1);
        var (loads, sim) = Sim.Run([], traits, a, b);
        Assert.Equal([
            "a: loading out-of-tree module taints kernel.",
            "a: module license 'Proprietary' taints kernel.",
            "a: module verification failed: signature and/or required key missing - tainting kernel",
        ], Sim.Lines(loads[0]));
        Assert.Empty(Sim.Lines(loads[1]));
        Assert.Equal("OE", loads[1].ModuleTaints);
        Assert.Equal(2, sim.Findings.Count(f => f.Rule == LoadRules.Unsigned));
    }

    [Fact]
    public void SignedInTreeModule_PrintsNothing()
    {
        var (loads, _) = Sim.Run([], new KernelTraits { ModuleSig = true }, Make.Module("a", ["GPL"]) with { InTree = true, Signed = true });
        Assert.Empty(Sim.Lines(loads[0]));
    }
}
