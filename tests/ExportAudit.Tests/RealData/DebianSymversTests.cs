using ExportAudit.Diagnostics;
using ExportAudit.Ingest;
using ExportAudit.Ingest.Symvers;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.RealData;

/// <summary>Debian's real Module.symvers (linux-headers-amd64, resolved at run time by tests/data/fetch-testdata.sh).</summary>
public class DebianSymversTests
{
    [Fact]
    public void EveryRowOfDebiansModuleSymvers_IsRead_AndAgreesWithAPlainSplit()
    {
        var path = Support.RealData.HeadersSymvers;
        var errors = new InputErrors();
        var file = SymversReader.Read(path, errors);
        Assert.Empty(errors.Snapshot());
        Assert.Equal(SymversLayout.Namespaced, file.Layout);

        // The independent count: awk over the same file.
        var awk = Proc.Output("awk", "-F\t", "{ n++; if ($4 == \"EXPORT_SYMBOL_GPL\") g++; if ($5 != \"\") ns++ } END { print n, g, ns }", path)
            .Trim().Split(' ').Select(int.Parse).ToArray();
        Assert.True(awk[0] > 10_000, $"only {awk[0]} rows in {path}");
        Assert.Equal(awk[0], file.Exports.Count);
        Assert.Equal(awk[1], file.Exports.Count(e => e.IsGplOnly));
        Assert.Equal(awk[2], file.Exports.Count(e => e.Namespace is not null));
        Assert.Contains(file.Exports, e => e.Name == "module_layout" && e.IsVmlinux && e.Crc is not null);
    }

    [Fact]
    public void HeadersDirectory_IsAKernelSource_WithItsConfig()
    {
        var errors = new InputErrors();
        var source = new InputLoader(errors).LoadKernel(Support.RealData.HeadersDir)!;
        Assert.Empty(errors.Snapshot());
        var config = File.ReadAllText(Path.Combine(Support.RealData.HeadersDir, ".config"));
        Assert.Equal(config.Contains("\nCONFIG_MODULE_SIG=y\n"), source.Traits.ModuleSig);
        Assert.Equal(config.Contains("\nCONFIG_MODULE_FORCE_LOAD=y\n"), source.Traits.ForceLoad);
    }

    [Fact]
    public void CheckAgainstDebianHeaders_AManifestOfARealDriverShape()
    {
        // Symbols chosen from the file itself: a GPL-only one, a namespaced one, a plain one.
        var rows = File.ReadLines(Support.RealData.HeadersSymvers).Select(l => l.Split('\t')).Where(f => f.Length == 5 && f[2] == "vmlinux").ToArray();
        var gpl = rows.First(f => f[3] == "EXPORT_SYMBOL_GPL" && f[4] == "")[1];
        var plain = rows.First(f => f[3] == "EXPORT_SYMBOL" && f[4] == "")[1];
        var ns = rows.First(f => f[4] != "");
        using var dir = new TempDir();
        var manifest = dir.Write("vendor.yaml", $"module: vendor\nlicense: Proprietary\nimports: [{plain}, {gpl}, {ns[1]}, vendor_missing]\n");
        var r = Support.Cli.Run("check", "--kernel", Support.RealData.HeadersDir, manifest, "--format", "modpost");
        var expected = new List<string>
        {
            $"ERROR: modpost: GPL-incompatible module vendor.ko uses GPL-only symbol '{gpl}'",
            $"ERROR: modpost: module vendor uses symbol {ns[1]} from namespace {ns[4]}, but does not import it.",
        };
        if (ns[3] == "EXPORT_SYMBOL_GPL")
        {
            expected.Add($"ERROR: modpost: GPL-incompatible module vendor.ko uses GPL-only symbol '{ns[1]}'");
        }
        expected.Add("ERROR: modpost: \"vendor_missing\" [vendor.ko] undefined!");
        Assert.Equal(string.Join("\n", expected) + "\n", r.Stdout);
        Assert.Equal(1, r.ExitCode);
    }
}
