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
        // modules.builtin.modinfo: the built-in modules and their licenses, as kmod's modinfo would show them.
        var builtins = json.RootElement.GetProperty("builtin_modules").EnumerateArray().ToArray();
        var builtinNames = File.ReadAllLines(Path.Combine(Support.RealData.ModulesDir, "modules.builtin")).Where(l => l.Length > 0).ToArray();
        Assert.True(builtins.Length >= builtinNames.Length, $"{builtins.Length} built-in modules, modules.builtin lists {builtinNames.Length}");
        Assert.Contains(builtins, b => b.GetProperty("licenses").GetArrayLength() > 0);
        var files = ModuleFiles().Length;
        Assert.True(files > 4000, $"only {files} modules in {Support.RealData.ModulesDir}");
        Assert.Equal(files, summary.GetProperty("modules").GetInt32());
    }

    [Fact]
    public void EveryModulesLicensesUndefinedSymbolsAndExports_EqualModinfoNmAndModuleSymvers()
    {
        var (modules, errors) = Tree.Value;
        Assert.Empty(errors);
        Assert.Equal(ModuleFiles().Length, modules.Count);
        Assert.Empty(Oracles.Disagreements(modules, Support.RealData.HeadersSymvers));
        Assert.True(modules.Sum(m => m.Imports.Count) > 100_000);
        // Every module that exports has its rows, and no module has rows it does not export.
        Assert.Equal(Oracles.SymversModuleRows(Support.RealData.HeadersSymvers).Count, modules.Count(m => m.Exports.Count > 0));
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
