using System.Text.Json;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Diff;

public class DiffTests
{
    private static JsonElement[] Findings(CliResult r) => JsonDocument.Parse(r.Stdout).RootElement.GetProperty("findings").EnumerateArray().ToArray();

    private static string Rule(JsonElement f) => f.GetProperty("rule").GetString()!;

    [Fact]
    public void SeedScenario_ExactlyTheTwoHmmEntryPointsBecomeGplOnly_AndOnlyTheProprietaryConsumerBreaks()
    {
        var r = Support.Cli.Run("diff", TestPaths.Sample("kernels", "hmm-4.19-before.yaml"), TestPaths.Sample("kernels", "hmm-4.20-after.yaml"),
            "--modules", TestPaths.Sample("modules"), "--format", "json");
        Assert.Equal(1, r.ExitCode);
        var findings = Findings(r);
        var changes = findings.Where(f => Rule(f).StartsWith("EA40")).Select(f => $"{Rule(f)} {f.GetProperty("symbol").GetString()}").ToArray();
        Assert.Equal(["EA4001 hmm_devmem_add", "EA4001 hmm_devmem_add_resource"], changes);
        var broken = findings.Where(f => Rule(f).StartsWith("EA41")).Select(f => $"{f.GetProperty("module").GetString()} {Rule(f)} {f.GetProperty("message").GetString()}").ToArray();
        Assert.Equal([
            "acme_uvm EA4101 GPL-incompatible module acme_uvm.ko uses GPL-only symbol 'hmm_devmem_add'",
            "acme_uvm EA4101 GPL-incompatible module acme_uvm.ko uses GPL-only symbol 'hmm_devmem_add_resource'",
            "acme_uvm EA4102 acme_uvm: Unknown symbol hmm_devmem_add (err -2)",
            "acme_uvm EA4102 acme_uvm: Unknown symbol hmm_devmem_add_resource (err -2)",
        ], broken);
        Assert.DoesNotContain(findings, f => f.GetProperty("module").GetString() == "nouveau_hmm");
    }

    [Fact]
    public void NoModules_OnlyChanges_AndTheyDoNotFailTheRunByDefault()
    {
        var r = Support.Cli.Run("diff", TestPaths.Sample("kernels", "hmm-4.19-before.yaml"), TestPaths.Sample("kernels", "hmm-4.20-after.yaml"));
        Assert.Equal(0, r.ExitCode);
        var strict = Support.Cli.Run("diff", TestPaths.Sample("kernels", "hmm-4.19-before.yaml"), TestPaths.Sample("kernels", "hmm-4.20-after.yaml"), "--fail-on", "warning");
        Assert.Equal(1, strict.ExitCode);
    }

    [Theory]
    [InlineData("rt")]
    [InlineData("cloud")]
    public void DebianFlavours_ChangeCountsEqualAnIndependentCountOfTheTwoSymversFiles(string flavour)
    {
        var other = flavour == "rt" ? Support.RealData.RtHeadersDir : Support.RealData.CloudHeadersDir;
        var r = Support.Cli.Run("diff", Support.RealData.HeadersDir, other, "--format", "json");
        Assert.Equal("", r.Stderr);
        var counts = Findings(r).GroupBy(Rule).ToDictionary(g => g.Key, g => g.Count());

        // The independent count: both files split by tab, compared row by row here.
        static Dictionary<string, string[]> Rows(string dir) => File.ReadLines(Path.Combine(dir, "Module.symvers"))
            .Select(l => l.Split('\t')).ToDictionary(f => f[1]);
        var a = Rows(Support.RealData.HeadersDir);
        var b = Rows(other);
        var expected = new Dictionary<string, int>
        {
            ["EA4003"] = a.Keys.Count(k => !b.ContainsKey(k)),
            ["EA4004"] = b.Keys.Count(k => !a.ContainsKey(k)),
            ["EA4001"] = a.Count(p => b.TryGetValue(p.Key, out var n) && p.Value[3] == "EXPORT_SYMBOL" && n[3] == "EXPORT_SYMBOL_GPL"),
            ["EA4002"] = a.Count(p => b.TryGetValue(p.Key, out var n) && p.Value[3] == "EXPORT_SYMBOL_GPL" && n[3] == "EXPORT_SYMBOL"),
            ["EA4005"] = a.Count(p => b.TryGetValue(p.Key, out var n) && p.Value[4] != n[4]),
            ["EA4006"] = a.Count(p => b.TryGetValue(p.Key, out var n) && Convert.ToUInt32(p.Value[0], 16) != Convert.ToUInt32(n[0], 16)),
            ["EA4007"] = a.Count(p => b.TryGetValue(p.Key, out var n) && p.Value[2] != n[2]),
        };
        foreach (var (rule, count) in expected)
        {
            Assert.True(counts.GetValueOrDefault(rule) == count, $"{rule}: diff says {counts.GetValueOrDefault(rule)}, the files say {count}");
        }
        Assert.True(expected["EA4003"] + expected["EA4004"] > 0, "the flavours export different symbols");
    }

    [Fact]
    public void ZfsOnRt_MigrateDisableIsGplOnlyInBothFlavours_OnlyTheRebuiltModuleImportsIt()
    {
        // The symptom users bring: "GPL-incompatible module zfs.ko uses GPL-only symbol 'migrate_disable'".
        var r = Support.Cli.Run("diff", Support.RealData.HeadersDir, Support.RealData.RtHeadersDir, "--format", "json");
        Assert.DoesNotContain(Findings(r), f => f.GetProperty("symbol").GetString() == "migrate_disable" && Rule(f) is "EA4001" or "EA4003");
        using var dir = new TempDir();
        var generic = dir.Write("zfs-generic.yaml", "module: zfs\nlicense: CDDL\nimports: [_printk, __kmalloc]\n");
        var rebuilt = dir.Write("zfs-rt.yaml", "module: zfs\nlicense: CDDL\nimports: [_printk, __kmalloc, migrate_disable, migrate_enable]\n");
        var moved = Support.Cli.Run("diff", Support.RealData.HeadersDir, Support.RealData.RtHeadersDir, "--modules", generic, "--format", "json");
        Assert.DoesNotContain(Findings(moved), f => Rule(f) is "EA4101" or "EA4102");
        var check = Support.Cli.Run("check", "--kernel", Support.RealData.RtHeadersDir, rebuilt, "--format", "modpost");
        Assert.Equal(
            "ERROR: modpost: GPL-incompatible module zfs.ko uses GPL-only symbol 'migrate_disable'\n" +
            "ERROR: modpost: GPL-incompatible module zfs.ko uses GPL-only symbol 'migrate_enable'\n", check.Stdout);
    }
}
