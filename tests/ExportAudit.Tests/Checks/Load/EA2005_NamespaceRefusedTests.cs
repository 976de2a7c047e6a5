using ExportAudit.Checks.Load;
using ExportAudit.Diagnostics;
using ExportAudit.Model;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Checks.Load;

public class EA2005_NamespaceRefusedTests
{
    private static readonly Export[] Kernel = [Make.Export("dma_buf_get", ns: "DMA_BUF")];

    [Fact]
    public void NotImported_IsRefusedWithEinval()
    {
        var (loads, _) = Sim.Run(Kernel, null, Sim.Gpl("m", ["dma_buf_get"]));
        Assert.Equal(
            ["m: module uses symbol (dma_buf_get) from namespace DMA_BUF, but does not import it.", "m: Unknown symbol dma_buf_get (err -22)"],
            Sim.Lines(loads[0]));
        Assert.Equal(Errnos.EINVAL, loads[0].Errno);
    }

    [Fact]
    public void Imported_Loads()
    {
        var (loads, _) = Sim.Run(Kernel, null, Sim.Gpl("m", ["dma_buf_get"]) with { ImportNamespaces = ["DMA_BUF"] });
        Assert.True(loads[0].Loaded);
    }

    [Fact]
    public void AllowMissingImports_OnlyWarns()
    {
        var (loads, sim) = Sim.Run(Kernel, new KernelTraits { AllowMissingNamespaceImports = true }, Sim.Gpl("m", ["dma_buf_get"]));
        Assert.True(loads[0].Loaded);
        Assert.Equal(Severity.Warning, Assert.Single(sim.Findings).Severity);
    }
}
