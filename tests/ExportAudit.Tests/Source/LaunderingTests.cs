using System.Text.Json;
using ExportAudit.Checks.Source;
using ExportAudit.Model;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Source;

/// <summary>EA3001/EA3002 over a kernel model's call graph: the seed's argument as a check.</summary>
public class LaunderingTests
{
    private static JsonElement[] Findings(string model, params string[] extra)
    {
        var r = Support.Cli.Run(["scan-source", TestPaths.Sample("kernels", model + ".yaml"), "--calls", "--format", "json", .. extra]);
        return JsonDocument.Parse(r.Stdout).RootElement.GetProperty("findings").EnumerateArray().ToArray();
    }

    private static string[] Laundered(JsonElement[] findings) =>
        findings.Where(f => f.GetProperty("rule").GetString() == "EA3001").Select(f => f.GetProperty("symbol").GetString()!).ToArray();

    [Fact]
    public void Before_TheTwoHmmEntryPointsAreReported_WithTheChainToDevmMemremapPages()
    {
        var findings = Findings("hmm-4.19-before");
        var laundered = Laundered(findings);
        Assert.Contains("hmm_devmem_add", laundered);
        Assert.Contains("hmm_devmem_add_resource", laundered);
        var add = findings.Single(f => f.GetProperty("symbol").GetString() == "hmm_devmem_add" && f.GetProperty("rule").GetString() == "EA3001");
        var notes = add.GetProperty("evidence").GetProperty("notes").EnumerateArray().Select(n => n.GetString()).ToArray();
        Assert.Contains("hmm_devmem_add (mm/hmm.c) -> devm_memremap_pages (EXPORT_SYMBOL_GPL, kernel/memremap.c)", notes);
        Assert.Contains("hmm_devmem_add (mm/hmm.c) -> percpu_ref_kill (include/linux/percpu-refcount.h) -> percpu_ref_kill_and_confirm (EXPORT_SYMBOL_GPL, lib/percpu-refcount.c)", notes);
    }

    [Fact]
    public void After_TheEntryPointsAreGplOnly_AndNoLongerReported()
    {
        var laundered = Laundered(Findings("hmm-4.20-after"));
        Assert.DoesNotContain("hmm_devmem_add", laundered);
        Assert.DoesNotContain("hmm_devmem_add_resource", laundered);
    }

    [Fact]
    public void UnexportedCoreFunctions_AreALowerLevel()
    {
        var reaches = Findings("hmm-4.19-before").Where(f => f.GetProperty("rule").GetString() == "EA3002")
            .Select(f => f.GetProperty("message").GetString()).ToArray();
        Assert.Contains("EXPORT_SYMBOL(hmm_vma_fault) reaches unexported walk_page_range", reaches);
        Assert.Contains("EXPORT_SYMBOL(hmm_vma_alloc_locked_page) reaches unexported alloc_pages_vma", reaches);
    }

    [Fact]
    public void Depth_BoundsHowFarHelpersAreFollowed()
    {
        var functions = new Dictionary<string, FunctionInfo>
        {
            ["entry"] = new("entry", null, ["helper1"], true),
            ["helper1"] = new("helper1", null, ["helper2"], false),
            ["helper2"] = new("helper2", null, ["helper3"], false),
            ["helper3"] = new("helper3", null, ["gpl_fn"], false),
        };
        var table = Make.Table(Make.Export("entry"), Make.Export("gpl_fn", ExportKind.GplOnly));
        Assert.DoesNotContain(LaunderingCheck.Run(functions, table, depth: 2), f => f.Rule == LaunderingRules.GplOnlyLaundered);
        Assert.Single(LaunderingCheck.Run(functions, table, depth: 3), f => f.Rule == LaunderingRules.GplOnlyLaundered);
    }

    [Fact]
    public void WalksOnSeveralThreads_MakeTheSameFindingsInTheSameOrder()
    {
        // 600 plain exports, each a wrapper of one or two GPL-only ones through helpers, or reaching unexported code.
        var functions = new Dictionary<string, FunctionInfo>();
        var exports = new List<Export>();
        var random = new Random(7);
        for (var i = 0; i < 600; i++)
        {
            var calls = Enumerable.Range(0, random.Next(1, 4)).Select(_ => random.Next(3) switch { 0 => $"gpl_{random.Next(40)}", 1 => $"helper_{random.Next(300)}", _ => $"core_{random.Next(50)}" }).ToArray();
            functions[$"entry_{i}"] = new($"entry_{i}", null, calls, true);
            exports.Add(Make.Export($"entry_{i}"));
        }
        for (var i = 0; i < 300; i++)
        {
            functions[$"helper_{i}"] = new($"helper_{i}", null, [$"gpl_{random.Next(40)}", $"core_{random.Next(50)}"], false);
        }
        exports.AddRange(Enumerable.Range(0, 40).Select(i => Make.Export($"gpl_{i}", ExportKind.GplOnly)));
        var table = Make.Table([.. exports]);
        string Describe(IReadOnlyList<ExportAudit.Diagnostics.Finding> found) =>
            string.Join("\n", found.Select(f => $"{f.Order} {f.Rule.Id} {f.Symbol} {f.Message} | {string.Join(" | ", f.Evidence.Notes)}"));

        var one = LaunderingCheck.Run(new ModelCallGraph(functions), table, jobs: 1);
        Assert.True(one.Count > 500, $"{one.Count} findings");
        Assert.Equal(Describe(one), Describe(LaunderingCheck.Run(new ModelCallGraph(functions), table, jobs: 4)));
    }

    [Fact]
    public void CallsOnADirectoryWithNeitherSourcesNorModules_IsAnInputError()
    {
        using var dir = new TempDir();
        var r = Support.Cli.Run("scan-source", dir.Path, "--calls");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"exportaudit: {dir.Path}: no modules (*.ko, *.ko.xz, *.ko.zst, *.ko.gz), manifests (*.yaml) or module sources (*.c) in this directory\n", r.Stderr);
    }
}
