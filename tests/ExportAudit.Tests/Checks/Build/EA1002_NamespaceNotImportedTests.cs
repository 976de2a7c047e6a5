using ExportAudit.Checks.Build;
using ExportAudit.Model;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Checks.Build;

public class EA1002_NamespaceNotImportedTests
{
    private static readonly Export[] Kernel = [Make.Export("dma_buf_get", ns: "DMA_BUF"), Make.Export("cxl_gpl", ExportKind.GplOnly, ns: "CXL")];

    [Fact]
    public void NamespacedSymbol_NotImported_IsError()
    {
        var finding = Assert.Single(Make.Modpost(Kernel, Make.Module("drv", imports: ["dma_buf_get"], path: "drivers/x/drv.o")));
        Assert.Same(NamespaceNotImportedRule.Descriptor, finding.Rule);
        Assert.Equal("module drv uses symbol dma_buf_get from namespace DMA_BUF, but does not import it.", finding.Message);
        Assert.Equal("DMA_BUF", finding.Namespace);
    }

    [Fact]
    public void NamespacedSymbol_Imported_IsFine()
    {
        Assert.Empty(Make.Modpost(Kernel, Make.Module("drv", imports: ["dma_buf_get"], importNs: ["DMA_BUF"])));
    }

    [Fact]
    public void ImportIsExact_ACaseDifferenceDoesNotImport()
    {
        Assert.Single(Make.Modpost(Kernel, Make.Module("drv", imports: ["dma_buf_get"], importNs: ["dma_buf"])));
    }

    [Fact]
    public void NamespaceComesBeforeGplOnly_ForTheSameSymbol()
    {
        var findings = Make.Modpost(Kernel, Make.Module("prop", ["Proprietary"], ["cxl_gpl"]));
        Assert.Equal(["EA1002", "EA1001"], findings.Select(f => f.Rule.Id));
    }
}
