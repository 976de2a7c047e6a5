using System.Text.Json;
using ExportAudit.Diagnostics;
using ExportAudit.Ingest;
using ExportAudit.Model;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.RealData;

/// <summary>
/// Compressed modules: Debian's 6.12 image ships every module as .ko.xz; .zst and .gz are made here from
/// real modules with the zstd and gzip tools. The oracles are kmod (which reads all three), xz, and nm.
/// </summary>
public class CompressedModuleTests
{
    private static readonly Lazy<(IReadOnlyList<KernelModule> Modules, IReadOnlyList<InputError> Errors)> Tree612 = new(() =>
    {
        var errors = new InputErrors();
        return (new InputLoader(errors).LoadModules([Support.RealData.Modules612Dir]).Modules, errors.Snapshot());
    });

    [Fact]
    public void Debian612XzTree_AgainstItsOwnModuleSymvers_HasNoFindings()
    {
        var r = Support.Cli.Run("check", "--kernel", Support.RealData.Headers612Dir, Support.RealData.Modules612Dir, "--format", "json");
        Assert.Equal("", r.Stderr);
        Assert.Equal(0, r.ExitCode);
        using var json = JsonDocument.Parse(r.Stdout);
        var files = Directory.EnumerateFiles(Support.RealData.Modules612Dir, "*.ko.xz", SearchOption.AllDirectories).Count();
        Assert.True(files > 4000, $"only {files} .ko.xz");
        Assert.Equal(files, json.RootElement.GetProperty("summary").GetProperty("modules").GetInt32());
        Assert.Equal(0, json.RootElement.GetProperty("findings").GetArrayLength());
    }

    [Fact]
    public void Debian612XzTree_AgreesWithModinfoModuleSymvers_AndNmOnTheXzToolsOutput()
    {
        var (modules, errors) = Tree612.Value;
        Assert.Empty(errors);
        Assert.Contains(modules, m => m.Exports.Any(e => e.Namespace is not null));
        // kmod reads .ko.xz itself; nm cannot, so it reads what the xz tool decompresses.
        using var temp = new TempDir();
        var copies = modules.Select((m, i) => (Module: m, Copy: Path.Combine(temp.Path, $"{i}.ko"))).ToArray();
        Parallel.ForEach(copies, new ParallelOptions { MaxDegreeOfParallelism = 2 }, pair =>
        {
            var r = Proc.Run("sh", ["-c", "xz -dc \"$0\" > \"$1\"", pair.Module.Path, pair.Copy]);
            Assert.True(r.ExitCode == 0, r.Stderr);
        });
        var nm = Oracles.NmUndefined(copies.Select(c => c.Copy));
        Assert.Empty(copies.Where(c => !nm[c.Copy].SequenceEqual(Oracles.Imports(c.Module))).Select(c => c.Module.Path));
        var licenses = Oracles.ModinfoLicenses(modules.Select(m => m.Path));
        Assert.Empty(modules.Where(m => !licenses[m.Path].SequenceEqual(m.Licenses)).Select(m => m.Path));
        var rows = Oracles.SymversModuleRows(Path.Combine(Support.RealData.Headers612Dir, "Module.symvers"));
        Assert.Empty(modules.Where(m => !Oracles.Rows(m.Exports).SequenceEqual(rows.GetValueOrDefault(m.ModpostName) ?? [])).Select(m => m.ModpostName));
    }

    [Fact]
    public void ZstdAndGzip_OfRealModules_ReadTheSameAsTheOriginals()
    {
        var originals = Directory.EnumerateFiles(Support.RealData.ModulesDir, "*.ko", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal).Where((_, i) => i % 80 == 0).ToArray();
        using var temp = new TempDir();
        var copies = new List<(string Original, string Zst, string Gz)>();
        foreach (var (original, i) in originals.Select((o, i) => (o, i)))
        {
            var zst = Path.Combine(temp.Path, $"m{i}.ko.zst");
            var gz = Path.Combine(temp.Path, $"g{i}.ko.gz");
            Assert.Equal(0, Proc.Run("zstd", ["-q", "-19", original, "-o", zst]).ExitCode);
            Assert.Equal(0, Proc.Run("sh", ["-c", "gzip -9 -c \"$0\" > \"$1\"", original, gz]).ExitCode);
            copies.Add((original, zst, gz));
        }
        var errors = new InputErrors();
        var loader = new InputLoader(errors);
        foreach (var (original, zst, gz) in copies)
        {
            var expected = Describe(Assert.Single(loader.LoadModules([original]).Modules));
            Assert.Equal(expected, Describe(Assert.Single(loader.LoadModules([zst]).Modules)));
            Assert.Equal(expected, Describe(Assert.Single(loader.LoadModules([gz]).Modules)));
            // kmod agrees on the compressed copies too.
            Assert.Equal(Proc.Output("modinfo", "-F", "license", original), Proc.Output("modinfo", "-F", "license", zst));
        }
        Assert.Empty(errors.Snapshot());
        Assert.True(copies.Count >= 50);
    }

    [Fact]
    public void CompressionBomb_IsRefusedWithTheLimit_AndTheRestIsStillAudited()
    {
        using var temp = new TempDir();
        var bomb = Path.Combine(temp.Path, "bomb.ko.gz");
        Assert.Equal(0, Proc.Run("sh", ["-c", "head -c 67108864 /dev/zero | gzip -1 > \"$0\"", bomb]).ExitCode);
        var good = Directory.EnumerateFiles(Support.RealData.ModulesDir, "*.ko", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        var r = Support.Cli.Run("check", "--kernel", Support.RealData.HeadersDir, "--max-module-size", "16777216", bomb, good, "--format", "json");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"exportaudit: {bomb}: decompresses to more than the 16,777,216-byte limit (a compression bomb, or raise --max-module-size)\n", r.Stderr);
        using var json = JsonDocument.Parse(r.Stdout);
        Assert.Equal(1, json.RootElement.GetProperty("summary").GetProperty("modules").GetInt32());
    }

    [Fact]
    public void TruncatedXz_IsAnErrorNamingTheFile()
    {
        using var temp = new TempDir();
        var source = Directory.EnumerateFiles(Support.RealData.Modules612Dir, "*.ko.xz", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        var bytes = File.ReadAllBytes(source);
        var cut = Path.Combine(temp.Path, "cut.ko.xz");
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);
        var r = Support.Cli.Run("check", "--kernel", Support.RealData.Headers612Dir, cut);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith($"exportaudit: {cut}: xz: ", r.Stderr);
    }

    private static string Describe(KernelModule m) => string.Join("\n",
        m.Name, string.Join(",", m.Licenses), string.Join(",", m.Imports.Select(i => i.Name + (i.Weak ? "?" : ""))),
        string.Join(",", m.Exports.Select(e => $"{e.Name}:{e.Kind}:{e.Namespace}:{e.Crc}")), string.Join(",", m.Versions.Select(v => $"{v.Key}={v.Value}")),
        m.Vermagic, m.Signed, string.Join(",", m.Depends));
}
