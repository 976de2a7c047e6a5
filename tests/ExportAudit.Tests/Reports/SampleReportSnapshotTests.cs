using ExportAudit.Tests.Support;
using Newtonsoft.Json.Linq;
using Snapshooter;
using Snapshooter.Xunit3;

namespace ExportAudit.Tests.Reports;

/// <summary>
/// Whole reports of the samples' walk-through (the README shows the same runs). Paths are given relative to
/// the repository root, as a user in a clone types them; the snapshots live in __snapshots__ beside this file.
/// </summary>
public class SampleReportSnapshotTests
{
    private static string K(string name) => Rel("samples", "kernels", name + ".yaml");

    private static string Rel(params string[] parts) => Path.Combine([TestPaths.RepoRoot, .. parts]);

    private static CliResult Run(params string[] args)
    {
        var result = Support.Cli.Run(args);
        return result with { Stdout = Relativize(result.Stdout), Stderr = Relativize(result.Stderr) };
    }

    private static string Relativize(string text) => text.Replace(TestPaths.RepoRoot + "/", "");

    private static string[] Lines(string text) => text.Split('\n');

    /// <summary>
    /// Snapshooter writes a missing snapshot and passes; on CI (CI=true) a missing one must fail instead,
    /// or a deleted snapshot would turn its test into one that asserts nothing.
    /// </summary>
    private static void Match(object value, string test, string? extension = null)
    {
        var file = Path.Combine(TestPaths.RepoRoot, "tests", "ExportAudit.Tests", "Reports", "__snapshots__",
            $"{nameof(SampleReportSnapshotTests)}.{test}{(extension is null ? "" : "_" + extension)}.snap");
        if (Environment.GetEnvironmentVariable("CI") == "true")
        {
            Assert.True(File.Exists(file), $"snapshot {file} is not committed");
        }
        if (extension is null)
        {
            Snapshot.Match(value);
        }
        else
        {
            Snapshot.Match(value, SnapshotNameExtension.Create(extension));
        }
    }

    [Theory]
    [InlineData("hmm-4.19-before", 0)]
    [InlineData("hmm-4.20-after", 1)]
    public void Check_SampleModules_Text(string kernel, int exit)
    {
        var r = Run("check", "--kernel", K(kernel), Rel("samples", "modules"));
        Assert.Equal(exit, r.ExitCode);
        Assert.Equal("", r.Stderr);
        Match(Lines(r.Stdout), nameof(Check_SampleModules_Text), kernel);
    }

    [Fact]
    public void Check_After_Modpost_IsTheKernelsLines()
    {
        var r = Run("check", "--kernel", K("hmm-4.20-after"), Rel("samples", "modules"), "--format", "modpost");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(
            "ERROR: modpost: GPL-incompatible module acme_uvm.ko uses GPL-only symbol 'hmm_devmem_add'\n" +
            "ERROR: modpost: GPL-incompatible module acme_uvm.ko uses GPL-only symbol 'hmm_devmem_add_resource'\n",
            r.Stdout);
    }

    [Fact]
    public void Check_After_Json()
    {
        var r = Run("check", "--kernel", K("hmm-4.20-after"), Rel("samples", "modules"), "--format", "json");
        Assert.Equal(1, r.ExitCode);
        Match(JToken.Parse(r.Stdout), nameof(Check_After_Json));
    }

    [Fact]
    public void SimulateLoad_After_AllSamples_Text()
    {
        var r = Run("simulate-load", "--kernel", K("hmm-4.20-after"), Rel("samples", "modules"), Rel("samples", "shim"));
        Assert.Equal(1, r.ExitCode);
        Match(Lines(r.Stdout), nameof(SimulateLoad_After_AllSamples_Text));
    }

    [Fact]
    public void SimulateLoad_Shim_Json()
    {
        var r = Run("simulate-load", "--kernel", K("hmm-4.19-before"), Rel("samples", "shim"), "--format", "json");
        Assert.Equal(1, r.ExitCode);
        Match(JToken.Parse(r.Stdout), nameof(SimulateLoad_Shim_Json));
    }
}
