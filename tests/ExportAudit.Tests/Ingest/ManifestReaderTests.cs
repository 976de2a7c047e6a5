using ExportAudit.Diagnostics;
using ExportAudit.Ingest;
using ExportAudit.Model;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Ingest;

public class ManifestReaderTests
{
    private static (IReadOnlyList<KernelModule> Modules, IReadOnlyList<InputError> Errors) Load(string yaml)
    {
        using var dir = new TempDir();
        var path = dir.Write("m.yaml", yaml);
        var errors = new InputErrors();
        var modules = new InputLoader(errors).LoadModules([path]).Modules;
        return (modules, errors.Snapshot().Select(e => e with { Path = "m.yaml" }).ToArray());
    }

    [Fact]
    public void TheIssuesExample_ReadsEveryField()
    {
        var (modules, errors) = Load("""
            module: acme_uvm              # required
            license: Proprietary          # string or list of strings (one per linked object)
            imports: [hmm_devmem_add, percpu_ref_init]   # undefined symbols, in order
            import_ns: [DMA_BUF]
            exports:                      # optional
              - {symbol: acme_map, type: EXPORT_SYMBOL_GPL, namespace: ACME}
            depends: [other_module]
            versions: {hmm_devmem_add: 0x1a2b3c4d}       # optional CRCs it was built against
            """);
        Assert.Empty(errors);
        var m = Assert.Single(modules);
        Assert.Equal("acme_uvm", m.Name);
        Assert.Equal(["Proprietary"], m.Licenses);
        Assert.Equal(["hmm_devmem_add", "percpu_ref_init"], m.Imports.Select(i => i.Name));
        Assert.Equal(["DMA_BUF"], m.ImportNamespaces);
        var export = Assert.Single(m.Exports);
        Assert.Equal(("acme_map", ExportKind.GplOnly, "ACME", "acme_uvm"), (export.Name, export.Kind, export.Namespace, export.Owner));
        Assert.Equal(["other_module"], m.Depends);
        Assert.Equal(VersionsState.Present, m.VersionsState);
        Assert.True(m.TryGetVersion("hmm_devmem_add", out var crc));
        Assert.Equal(0x1a2b3c4du, crc);
    }

    [Fact]
    public void ListOfModules_AndLicenseLists_AndWeakImports()
    {
        var (modules, errors) = Load("""
            - module: a
              license: [GPL, Proprietary]
              imports: [x, {symbol: y, weak: true}]
            - module: b
              path: /build/drivers/b/b.o
              versions: false
            """);
        Assert.Empty(errors);
        Assert.Equal(2, modules.Count);
        Assert.Equal(["GPL", "Proprietary"], modules[0].Licenses);
        Assert.True(modules[0].Imports[1].Weak);
        Assert.Equal("/build/drivers/b/b", modules[1].ModpostName);
        Assert.Equal(VersionsState.NoSection, modules[1].VersionsState);
        Assert.Equal(VersionsState.Unknown, modules[0].VersionsState);
        Assert.Equal([0, 1], modules.Select(m => m.InputIndex));
    }

    [Fact]
    public void UnknownField_IsAWarningWithLine_AndTheModuleIsRead()
    {
        var (modules, errors) = Load("module: a\nlicence: GPL\n");
        Assert.Single(modules);
        var warning = Assert.Single(errors);
        Assert.Equal(Severity.Warning, warning.Severity);
        Assert.Equal(2, warning.Line);
        Assert.Contains("unknown field 'licence'", warning.Message);
    }

    [Theory]
    [InlineData("module: a\nmodule: b\n", 2, "duplicate key 'module'")]
    [InlineData("license: GPL\n", 1, "not a module manifest")]
    [InlineData("module: a\nimports: printk\n", 2, "'imports' must be a list")]
    [InlineData("module: a\nintree: maybe\n", 2, "'intree' must be true or false")]
    [InlineData("module: a\nversions: {printk: 12}\n", 2, "32-bit CRC")]
    [InlineData("module: a\nexports: [{symbol: x, type: EXPORT_SYMBOL_GPLV2}]\n", 2, "unknown type")]
    [InlineData("module: [a\n", 2, "YAML")]
    [InlineData("kernel: k\nexports: []\n", 1, "kernel model: pass it with --kernel")]
    [InlineData("foo: bar\n", 1, "not a module manifest")]
    public void BadManifest_IsAnErrorWithLine(string yaml, int line, string expected)
    {
        var (modules, errors) = Load(yaml);
        Assert.Empty(modules);
        var error = Assert.Single(errors);
        Assert.Equal(Severity.Error, error.Severity);
        Assert.Equal(line, error.Line);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void BadEntryOfAList_CostsThatEntryOnly()
    {
        var (modules, errors) = Load("- module: a\n- license: GPL\n- module: c\n");
        Assert.Equal(["a", "c"], modules.Select(m => m.Name));
        var error = Assert.Single(errors);
        Assert.Equal(2, error.Line);
        Assert.Contains("missing required field 'module'", error.Message);
    }

    [Fact]
    public void AliasBomb_IsRefusedInBoundedTime()
    {
        var yaml = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
        for (var i = 0; i < 9; i++)
        {
            var prev = (char)('a' + i);
            var next = (char)('a' + i + 1);
            yaml += $"{next}: &{next} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n";
        }
        yaml = "module: bomb\n" + yaml;
        var (modules, errors) = Load(yaml);
        Assert.Empty(modules);
        Assert.Contains("aliases expand to more than", Assert.Single(errors).Message);
    }

    [Fact]
    public void BinaryFile_IsAnErrorWithOffset()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "junk.yaml");
        File.WriteAllBytes(path, [0x6d, 0x3a, 0x00, 0x01]);
        var errors = new InputErrors();
        new InputLoader(errors).LoadModules([path]);
        var error = Assert.Single(errors.Snapshot());
        Assert.Equal(2, error.Offset);
        Assert.EndsWith("junk.yaml@2", error.Where);
    }

    [Fact]
    public void Directory_IsReadInOrdinalNameOrder()
    {
        using var dir = new TempDir();
        dir.Write("b.yaml", "module: b\n");
        dir.Write("a/z.yml", "module: az\n");
        dir.Write("README.txt", "not a manifest");
        var errors = new InputErrors();
        var modules = new InputLoader(errors).LoadModules([dir.Path]).Modules;
        Assert.Empty(errors.Snapshot());
        Assert.Equal(["az", "b"], modules.Select(m => m.Name));
    }
}
