using System.Security.Cryptography;
using System.Text.Json;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Review;

/// <summary>
/// The seed made a command: the samples' patch 7/7 (the two HMM entry points made GPL-only), reviewed against
/// the 4.19 model and the samples' consumers — the proprietary one breaks with modpost's lines, the GPL one does not.
/// </summary>
public class SeedReviewTests
{
    private static readonly string SeedPatch = Directory.GetFiles(TestPaths.Sample("patches"), "0007-*.patch").Single();

    private static JsonElement Json(CliResult r) => JsonDocument.Parse(r.Stdout).RootElement;

    [Fact]
    public void AgainstThe419Model_TheProprietaryConsumerBreaks_WithModpostsLines_AndTheGplOneIsFine()
    {
        var r = Support.Cli.Run("review", SeedPatch, "--kernel", TestPaths.Sample("kernels", "hmm-4.19-before.yaml"), "--modules", TestPaths.Sample("modules"), "--format", "json");
        Assert.Equal("", r.Stderr);
        Assert.Equal(1, r.ExitCode); // a consumer breaks: an error
        var review = Json(r).GetProperty("review");
        Assert.Equal(["EA4001 hmm_devmem_add mm/hmm.c:53", "EA4001 hmm_devmem_add_resource mm/hmm.c:83"],
            review.GetProperty("series").EnumerateArray().Select(c =>
                $"{c.GetProperty("rule").GetString()} {c.GetProperty("symbol").GetString()} {c.GetProperty("after").GetProperty("file").GetString()}:{c.GetProperty("after").GetProperty("line").GetInt32()}").ToArray());
        var consumers = review.GetProperty("consumers").EnumerateArray().ToDictionary(c => c.GetProperty("module").GetString()!);
        Assert.True(consumers["acme_uvm"].GetProperty("broken").GetBoolean());
        Assert.Equal([
            "ERROR: modpost: GPL-incompatible module acme_uvm.ko uses GPL-only symbol 'hmm_devmem_add'",
            "ERROR: modpost: GPL-incompatible module acme_uvm.ko uses GPL-only symbol 'hmm_devmem_add_resource'",
            "acme_uvm: Unknown symbol hmm_devmem_add (err -2)",
            "acme_uvm: Unknown symbol hmm_devmem_add_resource (err -2)",
        ], consumers["acme_uvm"].GetProperty("lines").EnumerateArray().Select(l => l.GetString()!).ToArray());
        Assert.False(consumers["nouveau_hmm"].GetProperty("broken").GetBoolean());
        Assert.Equal(2, consumers["nouveau_hmm"].GetProperty("uses_changed").GetArrayLength());
        // The seed's argument: before the patch both were plain exports laundering devm_memremap_pages; after it, neither is.
        // Thin wrappers first: hmm_devmem_add_resource makes fewer calls.
        var resolved = review.GetProperty("laundering_resolved").EnumerateArray().Select(f => $"{f.GetProperty("rule").GetString()} {f.GetProperty("symbol").GetString()}").Order().ToArray();
        Assert.Equal(["EA3001 hmm_devmem_add", "EA3001 hmm_devmem_add_resource"], resolved);
        Assert.DoesNotContain(Json(r).GetProperty("findings").EnumerateArray(), f => f.GetProperty("rule").GetString() == "EA3001");
        // The evidence chain ends at the hunk.
        var change = Json(r).GetProperty("findings").EnumerateArray().First(f => f.GetProperty("rule").GetString() == "EA4001");
        Assert.EndsWith("0007-mm-hmm-mark-hmm_devmem_-add-add_resource-EXPORT_SYMB.patch:28 mm/hmm.c @@ -50,7 +50,7 @@", change.GetProperty("evidence").GetProperty("hunk").GetString());
    }

    [Fact]
    public void WithTheTree_WholeFunctionsAndUsersAreKnown_AndTheTreeIsNotModified()
    {
        var tree = TestPaths.Sample("trees", "hmm-4.19");
        var before = TreeHash(tree);
        var r = Support.Cli.Run("review", SeedPatch, "--tree", tree, "--format", "json");
        Assert.Equal("", r.Stderr);
        Assert.Equal(before, TreeHash(tree));
        var series = Json(r).GetProperty("review").GetProperty("series").EnumerateArray().ToArray();
        Assert.All(series, c => Assert.Equal(0, c.GetProperty("in_tree_users").GetArrayLength())); // HMM had no in-tree user
        Assert.Equal("hmm_devmem_add (mm/hmm.c:25, 4 calls, 16 statements)", series[0].GetProperty("function").GetString());
        // From source: the wrappers reached devm_memremap_pages and percpu_ref_init (GPL-only in the tree) before the patch.
        var resolved = Json(r).GetProperty("review").GetProperty("laundering_resolved").EnumerateArray().Single(f => f.GetProperty("symbol").GetString() == "hmm_devmem_add");
        Assert.Contains("hmm_devmem_add (mm/hmm.c:25) -> devm_memremap_pages (EXPORT_SYMBOL_GPL, kernel/memremap.c:12)",
            resolved.GetProperty("evidence").GetProperty("notes").EnumerateArray().Select(n => n.GetString()));
        Assert.Equal(0, r.ExitCode); // no consumers given: changes are warnings
        Assert.Equal(1, Support.Cli.Run("review", SeedPatch, "--tree", tree, "--fail-on", "warning").ExitCode);
    }

    [Fact]
    public void Markdown_IsTheReviewersReport()
    {
        var r = Support.Cli.Run("review", SeedPatch, "--kernel", TestPaths.Sample("kernels", "hmm-4.19-before.yaml"),
            "--modules", TestPaths.Sample("modules"), "--tree", TestPaths.Sample("trees", "hmm-4.19"), "--format", "markdown");
        Assert.Equal("", r.Stderr);
        Snapshooter.Xunit3.Snapshot.Match(r.Stdout.Replace(TestPaths.RepoRoot + "/", ""));
    }

    [Fact]
    public void StandardInput_GivesTheSameReviewAsTheFile()
    {
        var bytes = File.ReadAllBytes(SeedPatch);
        var fromStdin = ExportAudit.Audit.Auditor.Review(["-"], null, 2, new ExportAudit.Audit.AuditRequest([], []), () => bytes);
        var fromFile = ExportAudit.Audit.Auditor.Review([SeedPatch], null, 2, new ExportAudit.Audit.AuditRequest([], []));
        Assert.Equal("<stdin>", fromStdin.Review!.Patches.Single().Patch.Name);
        Assert.Equal(fromFile.Review!.Series.Select(c => (c.Kind.Id, c.Symbol, c.After!.Line)), fromStdin.Review.Series.Select(c => (c.Kind.Id, c.Symbol, c.After!.Line)));
    }

    private static string TreeHash(string dir) => Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join("\n",
        Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => f + ":" + Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))).Append(Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Length.ToString())))));
}
