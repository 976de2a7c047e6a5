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
    public void Debian612XzTree_ExportsEqualItsModuleSymvers_KindNamespaceAndCrc()
    {
        var (modules, errors) = Tree612.Value;
        Assert.Empty(errors);
        var rows = File.ReadLines(Path.Combine(Support.RealData.Headers612Dir, "Module.symvers")).Select(l => l.Split('\t'))
            .Where(f => f[2] != "vmlinux")
            .GroupBy(f => f[2])
            .ToDictionary(g => g.Key, g => g.Select(f => $"{f[1]} {f[3]} {f[4]} {f[0]}").Order(StringComparer.Ordinal).ToArray());
        var mismatches = modules
            .Where(m => !m.Exports.Select(e => $"{e.Name} {e.Kind.MacroName()} {e.Namespace} 0x{e.Crc:x8}").Order(StringComparer.Ordinal)
                .SequenceEqual(rows.GetValueOrDefault(m.ModpostName) ?? []))
            .Select(m => m.ModpostName).ToArray();
        Assert.Empty(mismatches);
        Assert.Contains(modules, m => m.Exports.Any(e => e.Namespace is not null));
    }

    [Fact]
    public void Debian612XzTree_LicensesEqualModinfo_AndUndefinedSymbolsEqualNmOnTheXzToolsOutput()
    {
        var (modules, _) = Tree612.Value;
        using var temp = new TempDir();
        var byPath = modules.ToDictionary(m => m.Path);
        var index = 0;
        var decompressed = new Dictionary<string, string>();
        foreach (var module in modules)
        {
            var target = Path.Combine(temp.Path, $"{index++}.ko");
            decompressed[target] = module.Path;
        }
        // xz decompresses, nm reads: neither is ExportAudit's code.
        Parallel.ForEach(decompressed, new ParallelOptions { MaxDegreeOfParallelism = 2 }, pair =>
        {
            var r = Proc.Run("sh", ["-c", "xz -dc \"$0\" > \"$1\"", pair.Value, pair.Key]);
            Assert.True(r.ExitCode == 0, r.Stderr);
        });
        var expected = decompressed.Keys.ToDictionary(k => k, _ => new List<string>());
        foreach (var batch in decompressed.Keys.Chunk(500))
        {
            foreach (var line in Proc.Output("nm", ["-p", "-u", "-A", .. batch]).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var colon = line.IndexOf(": ", StringComparison.Ordinal);
                var parts = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                expected[line[..colon]].Add((parts[0] is "w" or "v" ? "weak " : "") + parts[1]);
            }
        }
        var importMismatches = decompressed
            .Where(p => !expected[p.Key].SequenceEqual(byPath[p.Value].Imports.Select(i => (i.Weak ? "weak " : "") + i.Name)))
            .Select(p => p.Value).ToArray();
        Assert.Empty(importMismatches);

        var licenseMismatches = new List<string>();
        foreach (var batch in modules.Chunk(500))
        {
            string? current = null;
            var licenses = batch.ToDictionary(m => m.Path, _ => new List<string>());
            foreach (var field in Proc.Output("modinfo", ["-0", .. batch.Select(m => m.Path)]).Split('\0'))
            {
                if (field.StartsWith("filename:", StringComparison.Ordinal))
                {
                    current = field["filename:".Length..].TrimStart(' ');
                }
                else if (field.StartsWith("license=", StringComparison.Ordinal) && current is not null)
                {
                    licenses[current].Add(field["license=".Length..]);
                }
            }
            licenseMismatches.AddRange(batch.Where(m => !licenses[m.Path].SequenceEqual(m.Licenses)).Select(m => m.Path));
        }
        Assert.Empty(licenseMismatches);
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
