using System.Text.Json;
using ExportAudit.Diagnostics;
using ExportAudit.Ingest;
using ExportAudit.Model;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.RealData;

/// <summary>
/// Debian's whole module tree (the linux-image package of the headers' ABI, unpacked by
/// tests/data/fetch-testdata.sh) against its own Module.symvers, with kmod's modinfo and binutils' nm as
/// the oracles for every module — not a sample.
/// </summary>
public class DebianModuleTreeTests
{
    private static readonly Lazy<(IReadOnlyList<KernelModule> Modules, IReadOnlyList<InputError> Errors)> Tree = new(() =>
    {
        var errors = new InputErrors();
        var modules = new InputLoader(errors).LoadModules([Support.RealData.ModulesDir]).Modules;
        return (modules, errors.Snapshot());
    });

    private static string[] ModuleFiles() =>
        Directory.EnumerateFiles(Support.RealData.ModulesDir, "*.ko*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void WholeTree_AgainstItsOwnModuleSymvers_HasNoFindings()
    {
        var r = Support.Cli.Run("check", "--kernel", Support.RealData.HeadersDir, Support.RealData.ModulesDir, "--format", "json");
        Assert.Equal("", r.Stderr);
        Assert.Equal(0, r.ExitCode);
        using var json = JsonDocument.Parse(r.Stdout);
        var summary = json.RootElement.GetProperty("summary");
        Assert.Equal(0, summary.GetProperty("errors").GetInt32());
        Assert.Equal(0, summary.GetProperty("warnings").GetInt32());
        Assert.Equal(0, summary.GetProperty("notes").GetInt32());
        var files = ModuleFiles().Length;
        Assert.True(files > 4000, $"only {files} modules in {Support.RealData.ModulesDir}");
        Assert.Equal(files, summary.GetProperty("modules").GetInt32());
    }

    [Fact]
    public void EveryModulesLicenses_EqualKmodModinfo()
    {
        var (modules, errors) = Tree.Value;
        Assert.Empty(errors);
        var expected = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var batch in ModuleFiles().Chunk(500))
        {
            // -0: NUL after each field, so a license with odd characters survives.
            var output = Proc.Output("modinfo", ["-0", .. batch]);
            string? current = null;
            // With -0 kmod prints "filename:  PATH" then the module's fields as key=value, each ended by NUL.
            foreach (var field in output.Split('\0'))
            {
                if (field.StartsWith("filename:", StringComparison.Ordinal))
                {
                    expected[current = field["filename:".Length..].TrimStart(' ')] = [];
                }
                else if (field.StartsWith("license=", StringComparison.Ordinal) && current is not null)
                {
                    expected[current].Add(field["license=".Length..]);
                }
            }
        }
        Assert.Equal(expected.Count, modules.Count);
        var mismatches = modules.Where(m => !expected[m.Path].SequenceEqual(m.Licenses))
            .Select(m => $"{m.Path}: ours [{string.Join("|", m.Licenses)}], modinfo [{string.Join("|", expected[m.Path])}]").ToArray();
        Assert.Empty(mismatches);
    }

    [Fact]
    public void EveryModulesUndefinedSymbols_EqualNm_InSymbolTableOrder()
    {
        var (modules, _) = Tree.Value;
        var expected = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var batch in ModuleFiles().Chunk(500))
        {
            foreach (var file in batch)
            {
                expected[file] = [];
            }
            // -p: symbol-table order, -A: file name on each line.
            foreach (var line in Proc.Output("nm", ["-p", "-u", "-A", .. batch]).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var colon = line.IndexOf(": ", StringComparison.Ordinal);
                var parts = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                expected[line[..colon]].Add((parts[0] is "w" or "v" ? "weak " : "") + parts[1]);
            }
        }
        var mismatches = modules
            .Where(m => !expected[m.Path].SequenceEqual(m.Imports.Select(i => (i.Weak ? "weak " : "") + i.Name)))
            .Select(m => m.Path).ToArray();
        Assert.Empty(mismatches);
        Assert.True(modules.Sum(m => m.Imports.Count) > 100_000);
    }

    [Fact]
    public void EveryModulesExports_EqualItsModuleSymversRows_KindNamespaceAndCrc()
    {
        var (modules, _) = Tree.Value;
        var rows = File.ReadLines(Support.RealData.HeadersSymvers).Select(l => l.Split('\t'))
            .Where(f => f[2] != "vmlinux")
            .GroupBy(f => f[2])
            .ToDictionary(g => g.Key, g => g.Select(f => $"{f[1]} {f[3]} {f[4]} {f[0]}").Order(StringComparer.Ordinal).ToArray());
        var mismatches = new List<string>();
        foreach (var module in modules)
        {
            var ours = module.Exports.Select(e => $"{e.Name} {e.Kind.MacroName()} {e.Namespace} 0x{e.Crc:x8}").Order(StringComparer.Ordinal).ToArray();
            var theirs = rows.GetValueOrDefault(module.ModpostName) ?? [];
            if (!ours.SequenceEqual(theirs))
            {
                mismatches.Add($"{module.ModpostName}: ours {ours.Length}, symvers {theirs.Length}, first difference {ours.Except(theirs).Concat(theirs.Except(ours)).FirstOrDefault()}");
            }
        }
        Assert.Empty(mismatches);
        Assert.Equal(rows.Count, modules.Count(m => m.Exports.Count > 0));
    }

    [Fact]
    public void EveryModule_IsIntreeWithVersionsAndVermagic()
    {
        var (modules, _) = Tree.Value;
        Assert.All(modules, m =>
        {
            Assert.True(m.InTree, m.Path);
            Assert.Equal(VersionsState.Present, m.VersionsState);
            Assert.NotNull(m.Vermagic);
        });
        Assert.Contains(modules, m => m.Depends.Count > 0);
    }
}
