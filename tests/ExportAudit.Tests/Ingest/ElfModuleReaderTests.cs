using ExportAudit.Diagnostics;
using ExportAudit.Ingest;
using ExportAudit.Model;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Ingest;

/// <summary>kmod's own test modules for three ELF flavours (shared/corpus), with modinfo and nm as oracles.</summary>
public class ElfModuleReaderTests
{
    [Theory]
    [InlineData("mod-simple-x86_64.ko")]
    [InlineData("mod-simple-i386.ko")]
    [InlineData("mod-simple-sparc64.ko")]
    public void CrossArchitectureModules_AgreeWithModinfoAndNm(string file)
    {
        var path = TestPaths.Corpus("kmod-testsuite", file);
        Assert.True(File.Exists(path), $"{path} missing");
        var errors = new InputErrors();
        var module = Assert.Single(new InputLoader(errors).LoadModules([path]).Modules);
        Assert.Empty(errors.Snapshot());
        var licenses = Proc.Output("modinfo", "-F", "license", path).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(licenses, module.Licenses);
        Assert.Equal("LGPL", module.Licenses[0]);
        var undefined = Proc.Output("nm", "-p", "-u", path).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1]).ToArray();
        Assert.Equal(undefined, module.Imports.Select(i => i.Name));
        Assert.Equal(Proc.Output("modinfo", "-F", "vermagic", path).Trim('\n'), module.Vermagic);
    }

    [Fact]
    public void LgplModule_IsNotGplCompatible_ForTheLoader()
    {
        var path = TestPaths.Corpus("kmod-testsuite", "mod-simple-x86_64.ko");
        var r = Support.Cli.Run("simulate-load", "--kernel", TestPaths.Sample("kernels", "hmm-4.19-before.yaml"), path);
        // struct module's name in .gnu.linkonce.this_module, which the loader prints: kmod built it as mod_simple_x86_64.
        Assert.Contains("mod_simple_x86_64: module license 'LGPL' taints kernel.", r.Stdout);
    }
}
