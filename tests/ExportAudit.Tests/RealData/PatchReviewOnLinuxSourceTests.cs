using System.Text.Json;
using System.Text.RegularExpressions;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.RealData;

/// <summary>
/// Real patches: three commits made with git on copies of Debian's linux-source-6.1 files, exported with
/// git format-patch (one file each, and one mbox), reviewed against the real tree (--tree, never modified) and
/// the Module.symvers of the Debian build of it (--kernel): reclassify hmm_range_fault, add a plain export that
/// wraps GPL-only devm_memremap_pages, move request_firmware_into_buf into a namespace.
/// </summary>
public class PatchReviewOnLinuxSourceTests(ITestOutputHelper output)
{
    private static readonly string[] Files = ["mm/hmm.c", "mm/memremap.c", "drivers/base/firmware_loader/main.c"];

    private sealed record Series(string Dir, string[] Patches, string Mbox, int RangeFaultLine, int WrapperLine, int FirmwareLine);

    private static Series MakeSeries(TempDir dir)
    {
        var repo = Path.Combine(dir.Path, "repo");
        foreach (var file in Files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(repo, file))!);
            File.Copy(Path.Combine(Support.RealData.Source61, file), Path.Combine(repo, file));
        }
        Git(repo, "init", "-q");
        Commit(repo, "base");
        Edit(repo, "mm/hmm.c", t => t.Replace("EXPORT_SYMBOL(hmm_range_fault);", "EXPORT_SYMBOL_GPL(hmm_range_fault);"));
        Commit(repo, "mm/hmm: make hmm_range_fault GPL-only");
        const string wrapper = "\n/* A convenience for drivers that only need the mapping. */\n" +
                               "void *memremap_pages_compat(struct device *dev, struct dev_pagemap *pgmap)\n{\n\treturn devm_memremap_pages(dev, pgmap);\n}\n" +
                               "EXPORT_SYMBOL(memremap_pages_compat);\n";
        Edit(repo, "mm/memremap.c", t => t.Replace("EXPORT_SYMBOL_GPL(devm_memremap_pages);\n", "EXPORT_SYMBOL_GPL(devm_memremap_pages);\n" + wrapper));
        Commit(repo, "mm/memremap: add memremap_pages_compat");
        Edit(repo, "drivers/base/firmware_loader/main.c", t => t.Replace("EXPORT_SYMBOL(request_firmware_into_buf);", "EXPORT_SYMBOL_NS(request_firmware_into_buf, FIRMWARE_LOADER);"));
        Commit(repo, "firmware_loader: move request_firmware_into_buf into FIRMWARE_LOADER");
        var outDir = Path.Combine(dir.Path, "out");
        var patches = Git(repo, "format-patch", "-3", "-o", outDir).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var mbox = Path.Combine(dir.Path, "series.mbox");
        File.WriteAllText(mbox, Git(repo, "format-patch", "-3", "--stdout"));
        return new Series(repo, patches, mbox, LineOf(repo, "mm/hmm.c", "EXPORT_SYMBOL_GPL(hmm_range_fault);"),
            LineOf(repo, "mm/memremap.c", "EXPORT_SYMBOL(memremap_pages_compat);"),
            LineOf(repo, "drivers/base/firmware_loader/main.c", "EXPORT_SYMBOL_NS(request_firmware_into_buf, FIRMWARE_LOADER);"));
    }

    [Fact]
    public void Mbox_EveryFindingOfTheThreeRealPatches()
    {
        using var dir = new TempDir();
        var series = MakeSeries(dir);
        var gpu = dir.Write("vendor_gpu.yaml", "module: vendor_gpu\nlicense: Proprietary\nimports: [hmm_range_fault, _printk]\n");
        var fw = dir.Write("fw_user.yaml", "module: fw_user\nlicense: GPL\nimports: [request_firmware_into_buf, release_firmware]\n");
        var fine = dir.Write("gpl_gpu.yaml", "module: gpl_gpu\nlicense: GPL v2\nimports: [hmm_range_fault]\n");
        var before = Files.ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(Support.RealData.Source61, f)));

        var r = Support.Cli.Run("review", series.Mbox, "--tree", Support.RealData.Source61, "--kernel", Support.RealData.HeadersDir,
            "--modules", gpu, fw, fine, "--format", "json");
        output.WriteLine(r.Stderr);
        Assert.Equal("", r.Stderr);
        Assert.Equal(1, r.ExitCode);
        Assert.All(Files, f => Assert.Equal(before[f], File.ReadAllBytes(Path.Combine(Support.RealData.Source61, f))));
        var root = JsonDocument.Parse(r.Stdout).RootElement;
        var review = root.GetProperty("review");

        // Per patch, from git's own series.
        var perPatch = review.GetProperty("patches").EnumerateArray().Select(p => string.Join(";", p.GetProperty("changes").EnumerateArray()
            .Select(c => $"{c.GetProperty("rule").GetString()} {c.GetProperty("symbol").GetString()} {c.GetProperty("after").GetProperty("file").GetString()}:{c.GetProperty("after").GetProperty("line").GetInt32()}"))).ToArray();
        Assert.Equal([
            $"EA4001 hmm_range_fault mm/hmm.c:{series.RangeFaultLine}",
            $"EA4004 memremap_pages_compat mm/memremap.c:{series.WrapperLine}",
            $"EA4005 request_firmware_into_buf drivers/base/firmware_loader/main.c:{series.FirmwareLine}",
        ], perPatch);
        Assert.Equal(["[PATCH 1/3] mm/hmm: make hmm_range_fault GPL-only", "[PATCH 2/3] mm/memremap: add memremap_pages_compat",
            "[PATCH 3/3] firmware_loader: move request_firmware_into_buf into FIRMWARE_LOADER"],
            review.GetProperty("patches").EnumerateArray().Select(p => p.GetProperty("subject").GetString()));

        // In-tree users of hmm_range_fault, against an independent count: .c files of the tree other than mm/hmm.c
        // with a call "hmm_range_fault(" on a line that is not a comment.
        var users = review.GetProperty("series").EnumerateArray().Single(c => c.GetProperty("symbol").GetString() == "hmm_range_fault")
            .GetProperty("in_tree_users").EnumerateArray().Select(u => u.GetString()!).ToArray();
        var call = new Regex(@"\bhmm_range_fault\s*\(");
        var expected = Directory.EnumerateFiles(Support.RealData.Source61, "*.c", SearchOption.AllDirectories)
            .Where(f => File.ReadLines(f).Any(l => call.IsMatch(l) && !l.TrimStart().StartsWith('*') && !l.TrimStart().StartsWith("/*") && !l.TrimStart().StartsWith("//")))
            .Select(f => Path.GetRelativePath(Support.RealData.Source61, f)).Where(f => f != "mm/hmm.c").Order(StringComparer.Ordinal).ToArray();
        output.WriteLine("hmm_range_fault users: " + string.Join(", ", users));
        Assert.Equal(expected, users);
        Assert.Contains("drivers/gpu/drm/nouveau/nouveau_svm.c", users);

        var findings = root.GetProperty("findings").EnumerateArray()
            .Select(f => (Rule: f.GetProperty("rule").GetString()!, Module: f.GetProperty("module").GetString()!, Symbol: f.GetProperty("symbol").GetString(), f)).ToArray();
        // The new wrapper: added, with no in-tree user, laundering the GPL-only facility it wraps.
        Assert.Contains(findings, f => f.Rule == "EA3003" && f.Symbol == "memremap_pages_compat");
        foreach (var f in findings.Where(f => f.Rule.StartsWith("EA3", StringComparison.Ordinal)))
        {
            output.WriteLine($"{f.Rule} {f.Symbol}: {f.f.GetProperty("message").GetString()}");
        }
        var laundering = Assert.Single(findings, f => f.Rule == "EA3001" && f.Symbol == "memremap_pages_compat");
        Assert.DoesNotContain(findings, f => f.Rule == "EA3001" && f.Symbol == "hmm_range_fault"); // GPL-only after the series
        Assert.Contains(laundering.f.GetProperty("evidence").GetProperty("notes").EnumerateArray().Select(n => n.GetString()),
            n => n!.StartsWith($"memremap_pages_compat (mm/memremap.c:{series.WrapperLine - 4}) -> devm_memremap_pages (EXPORT_SYMBOL_GPL", StringComparison.Ordinal));

        // The consumers, in modpost's words.
        var consumers = review.GetProperty("consumers").EnumerateArray().ToDictionary(c => c.GetProperty("module").GetString()!,
            c => c.GetProperty("lines").EnumerateArray().Select(l => l.GetString()!).ToArray());
        Assert.Contains("ERROR: modpost: GPL-incompatible module vendor_gpu.ko uses GPL-only symbol 'hmm_range_fault'", consumers["vendor_gpu"]);
        Assert.Contains("ERROR: modpost: module fw_user uses symbol request_firmware_into_buf from namespace FIRMWARE_LOADER, but does not import it.", consumers["fw_user"]);
        Assert.Empty(consumers["gpl_gpu"]);

        // The same series as three format-patch files: the same net changes.
        var files = Support.Cli.Run(["review", .. series.Patches, "--tree", Support.RealData.Source61, "--kernel", Support.RealData.HeadersDir, "--format", "json"]);
        Assert.Equal("", files.Stderr);
        static string[] Net(string json) => JsonDocument.Parse(json).RootElement.GetProperty("review").GetProperty("series").EnumerateArray()
            .Select(c => string.Join("|", c.EnumerateObject().Where(p => p.Name != "hunk").Select(p => p.Value.GetRawText()))).ToArray();
        Assert.Equal(Net(r.Stdout), Net(files.Stdout));
    }

    [Fact]
    public void HunksOnly_WithoutTheTree_TheSameChangesAndTheWrappersLaundering()
    {
        using var dir = new TempDir();
        var series = MakeSeries(dir);
        var r = Support.Cli.Run("review", series.Mbox, "--kernel", Support.RealData.HeadersDir, "--format", "json");
        Assert.Equal("", r.Stderr);
        var root = JsonDocument.Parse(r.Stdout).RootElement;
        Assert.Equal(["EA4001 hmm_range_fault", "EA4004 memremap_pages_compat", "EA4005 request_firmware_into_buf"],
            root.GetProperty("review").GetProperty("series").EnumerateArray().Select(c => $"{c.GetProperty("rule").GetString()} {c.GetProperty("symbol").GetString()}"));
        // The hunk holds the whole new function, and Module.symvers says what it calls is GPL-only.
        Assert.Contains(root.GetProperty("findings").EnumerateArray(), f => f.GetProperty("rule").GetString() == "EA3001" && f.GetProperty("symbol").GetString() == "memremap_pages_compat");
        // Without the tree, users are unknown: no EA3003.
        Assert.DoesNotContain(root.GetProperty("findings").EnumerateArray(), f => f.GetProperty("rule").GetString() == "EA3003");
    }

    [Fact]
    public void APatchThatDoesNotApplyToTheTree_IsReviewedFromItsHunks_AndExits2()
    {
        using var dir = new TempDir();
        var series = MakeSeries(dir);
        var r = Support.Cli.Run("review", series.Patches[0], "--tree", TestPaths.Sample("trees", "hmm-4.19"), "--format", "json");
        Assert.Equal(2, r.ExitCode);
        Assert.Matches(@"^exportaudit: .*0001-mm-hmm-make-hmm_range_fault-GPL-only\.patch:\d+: mm/hmm\.c: hunk @@ -\d+,\d+ \+\d+,\d+ @@ does not apply .*; reviewed from its hunks alone\n$", r.Stderr);
        Assert.Contains("\"symbol\": \"hmm_range_fault\"", r.Stdout);
    }

    private static int LineOf(string repo, string file, string text) => Array.IndexOf(File.ReadAllLines(Path.Combine(repo, file)), text) + 1;

    private static void Edit(string repo, string file, Func<string, string> change)
    {
        var path = Path.Combine(repo, file);
        var text = File.ReadAllText(path);
        var changed = change(text);
        Assert.NotEqual(text, changed);
        File.WriteAllText(path, changed);
    }

    private static void Commit(string repo, string message)
    {
        Git(repo, "add", "-A");
        Git(repo, "-c", "user.name=ExportAudit Test", "-c", "user.email=test@example.org", "commit", "-q", "-m", message);
    }

    private static string Git(string repo, params string[] args)
    {
        var r = Proc.Run("git", args, repo);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)}: {r.Stderr}");
        }
        return r.Stdout;
    }
}
