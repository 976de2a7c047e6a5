using System.Text.Json;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Gate;

public class PolicyTests
{
    private static readonly string After = TestPaths.Sample("kernels", "hmm-4.20-after.yaml");

    private static JsonElement[] Findings(CliResult r) =>
        JsonDocument.Parse(r.Stdout).RootElement.GetProperty("findings").EnumerateArray().ToArray();

    [Fact]
    public void SeverityOverride_ChangesTheLevel_AndNoneDropsTheRule()
    {
        using var dir = new TempDir();
        var policy = dir.Write("p.yaml", "severity:\n  EA1001: warning\n  gpl-shim-refused: none\n");
        var r = Support.Cli.Run("check", "--kernel", After, TestPaths.Sample("modules"), "--policy", policy, "--format", "json");
        Assert.Equal(0, r.ExitCode);
        Assert.All(Findings(r).Where(f => f.GetProperty("rule").GetString() == "EA1001"), f => Assert.Equal("warning", f.GetProperty("severity").GetString()));
        var load = Support.Cli.Run("simulate-load", "--kernel", After, TestPaths.Sample("shim"), "--policy", policy, "--format", "json");
        Assert.DoesNotContain(Findings(load), f => f.GetProperty("rule").GetString() == "EA2003");
    }

    [Fact]
    public void Deny_BySymbolGlob_NamespaceOrExporter()
    {
        using var dir = new TempDir();
        var policy = dir.Write("p.yaml", "deny:\n  - {modules: [\"nouveau_*\"], symbols: [\"hmm_mirror_*\"], reason: use the new API}\n  - {exporters: [acme_core]}\n");
        var r = Support.Cli.Run("check", "--kernel", After, TestPaths.Sample("modules"), TestPaths.Sample("shim"), "--policy", policy, "--format", "json");
        Assert.Equal(1, r.ExitCode);
        var denied = Findings(r).Where(f => f.GetProperty("rule").GetString() == "EA5001")
            .Select(f => $"{f.GetProperty("module").GetString()} {f.GetProperty("symbol").GetString()}").ToArray();
        Assert.Equal(["acme_glue acme_core_map", "acme_glue acme_core_register", "nouveau_hmm hmm_mirror_register", "nouveau_hmm hmm_mirror_unregister"], denied);
        Assert.Contains("use the new API", r.Stdout);
    }

    [Fact]
    public void Allow_ListsWhatAModuleMayImport()
    {
        using var dir = new TempDir();
        var policy = dir.Write("p.yaml", "allow:\n  - {modules: [acme_uvm], symbols: [\"hmm_*\", printk], namespaces: []}\n");
        var r = Support.Cli.Run("check", "--kernel", After, TestPaths.Sample("modules"), "--policy", policy, "--format", "json");
        var notAllowed = Findings(r).Where(f => f.GetProperty("rule").GetString() == "EA5002").Select(f => f.GetProperty("symbol").GetString()).ToArray();
        Assert.Equal(["__kmalloc", "kfree"], notAllowed);
    }

    [Fact]
    public void NamespaceDiscipline_FlagsAnUnusedImport()
    {
        using var dir = new TempDir();
        var kernel = dir.Write("k.yaml", "kernel: k\nexports:\n  - {symbol: dma_buf_get, type: EXPORT_SYMBOL_GPL, namespace: DMA_BUF}\n");
        var module = dir.Write("m.yaml", "module: m\nlicense: GPL\nimport_ns: [DMA_BUF, CXL]\nimports: [dma_buf_get]\n");
        var policy = dir.Write("p.yaml", "require_import_ns: true\n");
        var r = Support.Cli.Run("check", "--kernel", kernel, module, "--policy", policy, "--format", "json");
        var finding = Assert.Single(Findings(r));
        Assert.Equal("EA5003", finding.GetProperty("rule").GetString());
        Assert.Equal("module m imports namespace CXL but uses no symbol from it", finding.GetProperty("message").GetString());
        Assert.Equal(0, r.ExitCode); // a warning
    }

    [Fact]
    public void ExtraLicense_IsAReportedDeviation_NeverSilent()
    {
        using var dir = new TempDir();
        var module = dir.Write("m.yaml", "module: legacy\nlicense: GPL-2.0\nimports: [devm_memremap_pages, region_intersects]\n");
        var policy = dir.Write("p.yaml", "policy: vendor\nextra_compatible_licenses:\n  - {license: GPL-2.0, reason: SPDX spelling being fixed}\n");
        var without = Support.Cli.Run("check", "--kernel", After, module, "--format", "json");
        Assert.Equal(2, Findings(without).Count(f => f.GetProperty("rule").GetString() == "EA1001"));
        var with = Support.Cli.Run("check", "--kernel", After, module, "--policy", policy, "--format", "json");
        Assert.Equal(0, with.ExitCode);
        var deviation = Assert.Single(Findings(with));
        Assert.Equal("EA5004", deviation.GetProperty("rule").GetString());
        Assert.Contains("license 'GPL-2.0' accepted by policy vendor although the kernel does not accept it", deviation.GetProperty("message").GetString());
        Assert.Equal(2, deviation.GetProperty("evidence").GetProperty("notes").EnumerateArray().Count(n => n.GetString()!.StartsWith("set aside: EA1001")));
    }

    [Theory]
    [InlineData("severity:\n  EA0000: error\n", 2, "unknown rule 'EA0000'")]
    [InlineData("severity:\n  EA1001: fatal\n", 2, "error, warning, note or none")]
    [InlineData("deny:\n  - {modules: [x]}\n", 2, "names symbols, namespaces or exporters")]
    [InlineData("extra_compatible_licenses:\n  - {license: GPL, reason: r}\n", 2, "already GPL-compatible")]
    public void BadPolicy_IsAnErrorWithLine(string yaml, int line, string expected)
    {
        using var dir = new TempDir();
        var policy = dir.Write("p.yaml", yaml);
        var r = Support.Cli.Run("check", "--kernel", After, TestPaths.Sample("modules"), "--policy", policy);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"{policy}:{line}:", r.Stderr);
        Assert.Contains(expected, r.Stderr);
    }

    [Fact]
    public void ExamplePolicy_Loads_AndDeniesTheHmmEntryPointsToAcme()
    {
        var r = Support.Cli.Run("check", "--kernel", After, TestPaths.Sample("modules"), "--policy", Path.Combine(TestPaths.RepoRoot, "rules", "example-policy.yaml"), "--format", "json");
        Assert.Equal("", r.Stderr);
        Assert.Contains(Findings(r), f => f.GetProperty("rule").GetString() == "EA5001" && f.GetProperty("symbol").GetString() == "hmm_devmem_add");
    }
}
