using System.Text.Json;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Gate;

public class BaselineAndWaiverTests
{
    private static readonly string After = TestPaths.Sample("kernels", "hmm-4.20-after.yaml");

    [Fact]
    public void Baseline_FailsOnlyOnNewFindings_ByFingerprintNotLine()
    {
        using var dir = new TempDir();
        var baseline = Path.Combine(dir.Path, "baseline.json");
        var first = Support.Cli.Run("check", "--kernel", After, TestPaths.Sample("modules"), "--write-baseline", baseline);
        Assert.Equal(1, first.ExitCode);
        Assert.Contains("\"rule\": \"EA1001\"", File.ReadAllText(baseline));

        var same = Support.Cli.Run("check", "--kernel", After, TestPaths.Sample("modules"), "--baseline", baseline, "--format", "json");
        Assert.Equal(0, same.ExitCode);
        Assert.Contains("\"baseline_state\": \"unchanged\"", same.Stdout);

        // A new proprietary module using a GPL-only symbol: only its finding is new.
        var newModule = dir.Write("newprop.yaml", "module: newprop\nlicense: Proprietary\nimports: [region_intersects]\n");
        var grown = Support.Cli.Run("check", "--kernel", After, TestPaths.Sample("modules"), newModule, "--baseline", baseline, "--format", "json");
        Assert.Equal(1, grown.ExitCode);
        using var json = JsonDocument.Parse(grown.Stdout);
        var states = json.RootElement.GetProperty("findings").EnumerateArray()
            .Select(f => $"{f.GetProperty("module").GetString()} {f.GetProperty("baseline_state").GetString()}").ToArray();
        Assert.Equal(["acme_uvm unchanged", "acme_uvm unchanged", "newprop new"], states);
    }

    [Fact]
    public void ActiveWaiver_SuppressesTheFinding_WithReasonAndOwner()
    {
        using var dir = new TempDir();
        var waivers = dir.Write("w.yaml", "waivers:\n  - {module: acme_uvm, rule: EA1001, reason: legal approved until the rewrite, owner: alice@acme.example, expires: 2030-06-30}\n");
        var r = Support.Cli.Run("check", "--kernel", After, TestPaths.Sample("modules"), "--waivers", waivers, "--today", "2026-11-25");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("[waived until 2030-06-30 by alice@acme.example: legal approved until the rewrite]", r.Stdout);
    }

    [Fact]
    public void ExpiredWaiver_IsItselfAFinding_AndTheFindingsCountAgain()
    {
        using var dir = new TempDir();
        var waivers = dir.Write("w.yaml", "waivers:\n  - {module: acme_*, symbol: hmm_devmem_add, reason: temporary, owner: bob, expires: 2026-11-24}\n");
        var r = Support.Cli.Run("check", "--kernel", After, TestPaths.Sample("modules"), "--waivers", waivers, "--today", "2026-11-25", "--format", "json");
        Assert.Equal(1, r.ExitCode);
        using var json = JsonDocument.Parse(r.Stdout);
        var findings = json.RootElement.GetProperty("findings").EnumerateArray().ToArray();
        Assert.Contains(findings, f => f.GetProperty("rule").GetString() == "EA5005" && f.GetProperty("message").GetString()!.Contains("expired on 2026-11-24"));
        Assert.All(findings.Where(f => f.GetProperty("rule").GetString() == "EA1001"), f => Assert.Equal(JsonValueKind.Null, f.GetProperty("suppression").ValueKind));
        // On the day it expires it still holds.
        var lastDay = Support.Cli.Run("check", "--kernel", After, TestPaths.Sample("modules"), "--waivers", waivers, "--today", "2026-11-24", "--format", "json");
        Assert.DoesNotContain("\"EA5005\"", lastDay.Stdout);
        Assert.Contains("\"kind\": \"waiver\"", lastDay.Stdout);
    }

    [Fact]
    public void UnusedWaiver_IsANote()
    {
        using var dir = new TempDir();
        var waivers = dir.Write("w.yaml", "waivers:\n  - {module: gone_module, rule: EA1001, reason: r, owner: o, expires: 2099-01-01}\n");
        var r = Support.Cli.Run("check", "--kernel", After, TestPaths.Sample("modules"), "--waivers", waivers, "--format", "json");
        Assert.Contains("\"rule\": \"EA5006\"", r.Stdout);
    }

    [Theory]
    [InlineData("waivers:\n  - {module: m, reason: r, owner: o, expires: 2030-01-01}\n", 2, "give a symbol, a rule, or both")]
    [InlineData("waivers:\n  - {module: m, rule: EA1001, reason: r, owner: o, expires: soon}\n", 2, "is not a date")]
    [InlineData("waivers:\n  - {module: m, rule: EA1001, owner: o, expires: 2030-01-01}\n", 2, "missing required field 'reason'")]
    public void BadWaiver_IsAnErrorWithLine(string yaml, int line, string expected)
    {
        using var dir = new TempDir();
        var waivers = dir.Write("w.yaml", yaml);
        var r = Support.Cli.Run("check", "--kernel", After, TestPaths.Sample("modules"), "--waivers", waivers);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"{waivers}:{line}:", r.Stderr);
        Assert.Contains(expected, r.Stderr);
    }
}
