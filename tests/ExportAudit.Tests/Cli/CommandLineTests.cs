using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Cli;

public class CommandLineTests
{
    private static string K(string name) => TestPaths.Sample("kernels", name + ".yaml");

    [Fact]
    public void NoFindings_Exit0_Findings_Exit1()
    {
        Assert.Equal(0, Support.Cli.Run("check", "--kernel", K("hmm-4.19-before"), TestPaths.Sample("modules")).ExitCode);
        Assert.Equal(1, Support.Cli.Run("check", "--kernel", K("hmm-4.20-after"), TestPaths.Sample("modules")).ExitCode);
    }

    [Fact]
    public void FailOn_LowersTheThreshold()
    {
        using var dir = new TempDir();
        var kernel = dir.Write("k.yaml", "kernel: k\nmodversions: true\nexports:\n  - {symbol: module_layout, type: EXPORT_SYMBOL, crc: 0x1}\n  - {symbol: f, type: EXPORT_SYMBOL}\n");
        var module = dir.Write("m.yaml", "module: m\nlicense: GPL\nimports: [f]\n");
        Assert.Equal(0, Support.Cli.Run("check", "--kernel", kernel, module).ExitCode);
        Assert.Equal(1, Support.Cli.Run("check", "--kernel", kernel, module, "--fail-on", "warning").ExitCode);
    }

    [Fact]
    public void UnreadableInput_Exit2_OneLineWithPathAndLine_AndTheRestIsStillReported()
    {
        using var dir = new TempDir();
        var bad = dir.Write("bad.yaml", "module: bad\nimports: printk\n");
        var r = Support.Cli.Run("check", "--kernel", K("hmm-4.20-after"), bad, TestPaths.Sample("modules", "acme_uvm.yaml"), "--format", "modpost");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"exportaudit: {bad}:2: manifest: 'imports' must be a list, not a scalar\n", r.Stderr);
        Assert.Contains("GPL-incompatible module acme_uvm.ko uses GPL-only symbol 'hmm_devmem_add'", r.Stdout);
    }

    [Fact]
    public void UnreadableInput_IsInTheJsonReport_AsEA9001()
    {
        var r = Support.Cli.Run("check", "--kernel", K("hmm-4.19-before"), "/nonexistent/x.yaml", "--format", "json");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("\"rule\": \"EA9001\"", r.Stdout);
        Assert.Contains("\"inputs_unreadable\": 1", r.Stdout);
    }

    [Theory]
    [InlineData(new[] { "check" }, "no kernel symbols")]
    [InlineData(new[] { "check", "--kernel", "k", "--format", "xml" }, "unknown format 'xml'")]
    [InlineData(new[] { "check", "--kernel", "k", "--format", "text", "--format", "json" }, "at most one --format may go to stdout")]
    [InlineData(new[] { "check", "--kernel", "k", "--format", "text:a", "--format", "json:b", "-o", "c" }, "-o goes with a single --format")]
    [InlineData(new[] { "simulate-load", "--kernel", "k", "--format", "modpost" }, "format 'modpost' is not available for simulate-load")]
    [InlineData(new[] { "check", "--kernel", "k", "--fail-on", "info" }, "'info' not recognized")]
    [InlineData(new[] { "frobnicate" }, "frobnicate")]
    public void UsageError_Exit2_WithAOneLineMessage(string[] args, string expected)
    {
        var r = Support.Cli.Run(args);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("exportaudit: ", r.Stderr);
        Assert.Contains(expected, r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void SeveralFormats_InOneRun_FilesAndStdout()
    {
        using var dir = new TempDir();
        var json = Path.Combine(dir.Path, "r.json");
        var modpost = Path.Combine(dir.Path, "r.txt");
        var r = Support.Cli.Run("check", "--kernel", K("hmm-4.20-after"), TestPaths.Sample("modules"),
            "--format", "json:" + json, "--format", "modpost:" + modpost, "--format", "text");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("acme_uvm", r.Stdout);
        Assert.Contains("\"command\": \"check\"", File.ReadAllText(json));
        Assert.StartsWith("ERROR: modpost: GPL-incompatible module acme_uvm.ko", File.ReadAllText(modpost));
    }

    [Fact]
    public void OutputOption_WritesTheSingleFormat()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "out.txt");
        var r = Support.Cli.Run("check", "--kernel", K("hmm-4.20-after"), TestPaths.Sample("modules"), "--format", "modpost", "-o", path);
        Assert.Equal("", r.Stdout);
        Assert.Equal(2, File.ReadAllLines(path).Length);
    }

    [Fact]
    public void Reports_DoNotDependOnInputOrderOrJobs()
    {
        var a = Support.Cli.Run("simulate-load", "--kernel", K("hmm-4.20-after"), TestPaths.Sample("shim", "acme_glue.yaml"), TestPaths.Sample("shim", "acme_core.yaml"), "--format", "json", "-j", "1");
        var b = Support.Cli.Run("simulate-load", "--kernel", K("hmm-4.20-after"), TestPaths.Sample("shim", "acme_core.yaml"), TestPaths.Sample("shim", "acme_glue.yaml"), "--format", "json", "-j", "2");
        Assert.Equal(a.Stdout, b.Stdout);
        var c = Support.Cli.Run("check", "--kernel", K("hmm-4.20-after"), TestPaths.Sample("shim"), TestPaths.Sample("modules"), "--format", "json");
        var d = Support.Cli.Run("check", "--kernel", K("hmm-4.20-after"), TestPaths.Sample("modules"), TestPaths.Sample("shim"), "--format", "json");
        Assert.Equal(c.Stdout, d.Stdout);
    }

    [Fact]
    public void Help_ShowsExamples()
    {
        var r = Support.Cli.Run("check", "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Examples:", r.Stdout);
        Assert.Contains("--kernel", r.Stdout);
    }
}

internal static class TestPathsConst
{
    public const string Modules = "samples/modules";
}
