using ExportAudit.Diagnostics;
using ExportAudit.Ingest;
using ExportAudit.Model;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Ingest;

public class KernelModelReaderTests
{
    [Fact]
    public void SampleModels_DifferExactlyInTheTwoHmmEntryPoints()
    {
        var errors = new InputErrors();
        var loader = new InputLoader(errors);
        var before = loader.LoadKernel(TestPaths.Sample("kernels", "hmm-4.19-before.yaml"))!;
        var after = loader.LoadKernel(TestPaths.Sample("kernels", "hmm-4.20-after.yaml"))!;
        Assert.Empty(errors.Snapshot());
        Assert.Equal("model", before.Kind);
        var changed = before.Exports.Zip(after.Exports)
            .Where(p => p.First.Name != p.Second.Name || p.First.Kind != p.Second.Kind || p.First.Namespace != p.Second.Namespace)
            .Select(p => $"{p.First.Name}: {p.First.Kind} -> {p.Second.Kind}")
            .ToArray();
        Assert.Equal(before.Exports.Count, after.Exports.Count);
        Assert.Equal(["hmm_devmem_add: Plain -> GplOnly", "hmm_devmem_add_resource: Plain -> GplOnly"], changed);
        Assert.True(before.Exports.Single(e => e.Name == "devm_memremap_pages").IsGplOnly);
    }

    [Fact]
    public void Model_KeepsTheCallGraph_IncludingUnexportedInternals()
    {
        var errors = new InputErrors();
        var model = new InputLoader(errors).LoadKernel(TestPaths.Sample("kernels", "hmm-4.19-before.yaml"))!.Model!;
        Assert.Contains("devm_memremap_pages", model.Functions["hmm_devmem_add"].Calls);
        Assert.False(model.Functions["walk_page_range"].Exported);
        Assert.True(model.Functions["hmm_vma_fault"].Exported);
        Assert.Equal(new Site("mm/hmm.c", null), model.Exports.Single(e => e.Name == "hmm_devmem_add").Definition);
    }

    [Fact]
    public void Model_WithModversions_MarksExportsWithoutCrcAsAbsent()
    {
        using var dir = new TempDir();
        var path = dir.Write("k.yaml", """
            kernel: k
            modversions: true
            module_sig: true
            exports:
              - {symbol: module_layout, type: EXPORT_SYMBOL, crc: 0x12345678}
              - {symbol: nocrc, type: EXPORT_SYMBOL_GPL, namespace: NS, file: a.c, line: 7}
            """);
        var errors = new InputErrors();
        var source = new InputLoader(errors).LoadKernel(path)!;
        Assert.Empty(errors.Snapshot());
        Assert.False(source.Exports[0].CrcAbsent);
        Assert.True(source.Exports[1].CrcAbsent);
        Assert.Equal(new Site("a.c", 7), source.Exports[1].Definition);
        Assert.True(source.Traits.ModuleSig);
    }

    [Fact]
    public void HeadersDirectory_ReadsSymversAndConfig()
    {
        using var dir = new TempDir();
        dir.Write("Module.symvers", "0x1\tmodule_layout\tvmlinux\tEXPORT_SYMBOL\t\n");
        dir.Write(".config", "CONFIG_MODULE_SIG=y\n# CONFIG_MODULE_FORCE_LOAD is not set\n");
        var errors = new InputErrors();
        var source = new InputLoader(errors).LoadKernel(dir.Path)!;
        Assert.Empty(errors.Snapshot());
        Assert.Single(source.Exports);
        Assert.True(source.Traits.ModuleSig);
        Assert.False(source.Traits.ForceLoad);
    }

    [Theory]
    [InlineData("kernel: k\nexports: [{symbol: a}]\n", "missing required field 'type'")]
    [InlineData("module: m\n", "not a kernel model")]
    public void BadModel_IsAnError(string yaml, string expected)
    {
        using var dir = new TempDir();
        var path = dir.Write("k.yaml", yaml);
        var errors = new InputErrors();
        Assert.Null(new InputLoader(errors).LoadKernel(path));
        Assert.Contains(expected, Assert.Single(errors.Snapshot()).Message);
    }
}
