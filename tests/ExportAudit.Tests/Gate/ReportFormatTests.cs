using System.Text.Json;
using System.Xml.Linq;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Gate;

public class ReportFormatTests
{
    private static string K(string name) => TestPaths.Sample("kernels", name + ".yaml");

    [Fact]
    public void Sarif_IsValidForMicrosoftsMultitool_WithFingerprintsRulesAndRelatedLocations()
    {
        using var dir = new TempDir();
        var sarif = Path.Combine(dir.Path, "out.sarif");
        var bad = dir.Write("bad.yaml", "module: [\n");
        var waivers = dir.Write("waivers.yaml", "waivers:\n  - {module: acme_uvm, symbol: hmm_devmem_add_resource, reason: under review, owner: legal@acme.example, expires: 2099-01-01}\n");
        var r = Support.Cli.Run("check", "--kernel", K("hmm-4.20-after"), TestPaths.Sample("modules"), TestPaths.Sample("shim"), bad,
            "--waivers", waivers, "--rules", Path.Combine(TestPaths.RepoRoot, "rules", "examples"), "--format", "sarif:" + sarif);
        Assert.Equal(2, r.ExitCode);

        var validated = Path.Combine(dir.Path, "validation.sarif");
        var mt = Proc.Run(Support.RealData.SarifMultitool, ["validate", sarif, "-o", validated]);
        Assert.True(mt.ExitCode == 0, mt.Stdout + mt.Stderr);
        using (var validation = JsonDocument.Parse(File.ReadAllText(validated)))
        {
            var errors = validation.RootElement.GetProperty("runs").EnumerateArray()
                .SelectMany(run => run.TryGetProperty("results", out var results) ? results.EnumerateArray() : [])
                .Where(result => result.TryGetProperty("level", out var level) && level.GetString() == "error")
                .Select(result => result.GetProperty("message").ToString()).ToArray();
            Assert.Empty(errors);
        }
        Assert.DoesNotContain(": error ", mt.Stdout);

        using var json = JsonDocument.Parse(File.ReadAllText(sarif));
        var run0 = json.RootElement.GetProperty("runs")[0];
        var rules = run0.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray().Select(x => x.GetProperty("id").GetString()).ToArray();
        Assert.Contains("EA1001", rules);
        Assert.Contains("X1001", rules);
        var results = run0.GetProperty("results").EnumerateArray().ToArray();
        var gpl = results.Where(x => x.GetProperty("ruleId").GetString() == "EA1001").ToArray();
        Assert.Equal(2, gpl.Length);
        Assert.All(gpl, x => Assert.Equal(32, x.GetProperty("partialFingerprints").GetProperty("exportAudit/v1").GetString()!.Length));
        Assert.All(gpl, x => Assert.Equal("mm/hmm.c", x.GetProperty("relatedLocations")[0].GetProperty("physicalLocation").GetProperty("artifactLocation").GetProperty("uri").GetString()));
        Assert.Single(gpl, x => x.TryGetProperty("suppressions", out _));
        Assert.False(run0.GetProperty("invocations")[0].GetProperty("executionSuccessful").GetBoolean());
        Assert.Single(run0.GetProperty("invocations")[0].GetProperty("toolExecutionNotifications").EnumerateArray());
    }

    [Fact]
    public void Sarif_FingerprintsAreStableAcrossRunsAndPaths()
    {
        using var dir = new TempDir();
        var copy = Path.Combine(dir.Path, "elsewhere", "acme_uvm.yaml");
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        File.WriteAllText(copy, "# moved, with a comment that shifts every line\n\n" + File.ReadAllText(TestPaths.Sample("modules", "acme_uvm.yaml")));
        string[] Fingerprints(string module) => JsonDocument.Parse(Support.Cli.Run("check", "--kernel", K("hmm-4.20-after"), module, "--format", "sarif").Stdout)
            .RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray()
            .Select(x => x.GetProperty("partialFingerprints").GetProperty("exportAudit/v1").GetString()!).ToArray();
        var original = Fingerprints(TestPaths.Sample("modules", "acme_uvm.yaml"));
        Assert.Equal(2, original.Length);
        Assert.Equal(original, Fingerprints(copy));
    }

    [Fact]
    public void Junit_OneTestCasePerModule_FailuresCarryTheFindings()
    {
        var r = Support.Cli.Run("check", "--kernel", K("hmm-4.20-after"), TestPaths.Sample("modules"), "--format", "junit");
        Assert.Equal(1, r.ExitCode);
        var xml = XDocument.Parse(r.Stdout);
        var cases = xml.Descendants("testcase").ToArray();
        Assert.Equal(["acme_uvm", "nouveau_hmm"], cases.Select(c => (string)c.Attribute("name")!));
        var failure = cases[0].Element("failure")!;
        Assert.Equal("EA1001", (string)failure.Attribute("type")!);
        Assert.Contains("uses GPL-only symbol 'hmm_devmem_add_resource'", failure.Value);
        Assert.Null(cases[1].Element("failure"));
        Assert.Equal("1", (string)xml.Root!.Attribute("failures")!);
    }

    [Fact]
    public void Junit_FindingsBelowFailOn_GoToSystemOut()
    {
        var r = Support.Cli.Run("simulate-load", "--kernel", K("hmm-4.19-before"), TestPaths.Sample("modules"), "--format", "junit");
        var xml = XDocument.Parse(r.Stdout);
        var uvm = xml.Descendants("testcase").Single(c => (string)c.Attribute("name")! == "acme_uvm");
        Assert.Null(uvm.Element("failure"));
        Assert.Contains("EA2001", uvm.Element("system-out")!.Value);
    }

    [Fact]
    public void GitHub_AnnotationsWithFileLineAndEscapes()
    {
        var r = Support.Cli.Run("check", "--kernel", K("hmm-4.20-after"), TestPaths.Sample("modules", "acme_uvm.yaml"), "--format", "github");
        var path = TestPaths.Sample("modules", "acme_uvm.yaml");
        Assert.Equal(
            $"::error file={path},line=3,title=EA1001 gpl-only-symbol::GPL-incompatible module acme_uvm.ko uses GPL-only symbol 'hmm_devmem_add'\n" +
            $"::error file={path},line=3,title=EA1001 gpl-only-symbol::GPL-incompatible module acme_uvm.ko uses GPL-only symbol 'hmm_devmem_add_resource'\n",
            r.Stdout);
    }
}
