using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.RealData;

/// <summary>
/// Byte-identical reports in every format for any thread count and any order of the inputs on the command
/// line, on Debian's module tree plus modules with findings. (modpost's format keeps modpost's order and
/// simulate-load its load order: both are semantics, so they are compared across thread counts only.)
/// </summary>
public class DeterminismTests
{
    private static readonly string[] Formats = ["text", "json", "sarif", "junit", "github"];

    private static string[] Inputs()
    {
        var kernelDir = Path.Combine(Support.RealData.ModulesDir, "kernel");
        var parts = Directory.GetDirectories(kernelDir).Order(StringComparer.Ordinal).ToArray();
        return [.. parts, TestPaths.Sample("modules"), TestPaths.Sample("shim")];
    }

    private static string Run(string command, string format, int jobs, string[] inputs) =>
        Support.Cli.Run([command, "--kernel", Support.RealData.HeadersDir, "--format", format, "-j", jobs.ToString(), .. inputs]).Stdout;

    [Fact]
    public void EveryFormat_IsIdentical_ForOneOrTwoThreads_AndAnyInputOrder()
    {
        var inputs = Inputs();
        var reversed = inputs.Reverse().ToArray();
        foreach (var format in Formats)
        {
            var one = Run("check", format, 1, inputs);
            Assert.Contains("acme_uvm", one);
            Assert.Equal(one, Run("check", format, 2, inputs));
            Assert.Equal(one, Run("check", format, 2, reversed));
        }
    }

    [Fact]
    public void KernelOrderedFormats_AreIdentical_ForOneOrTwoThreads()
    {
        var inputs = Inputs();
        Assert.Equal(Run("check", "modpost", 1, inputs), Run("check", "modpost", 2, inputs));
        Assert.Equal(Run("simulate-load", "json", 1, inputs), Run("simulate-load", "json", 2, inputs));
    }

    [Fact]
    public void SymlinkLoop_InATree_DoesNotTrapTheWalk()
    {
        using var dir = new TempDir();
        var sub = Directory.CreateDirectory(Path.Combine(dir.Path, "a", "b")).FullName;
        File.CreateSymbolicLink(Path.Combine(sub, "loop"), dir.Path);
        File.Copy(TestPaths.Sample("shim", "acme_core.yaml"), Path.Combine(sub, "acme_core.yaml"));
        var r = Support.Cli.Run("check", "--kernel", TestPaths.Sample("kernels", "hmm-4.19-before.yaml"), dir.Path, "--format", "json");
        Assert.Equal("", r.Stderr);
        Assert.Contains("\"modules\": 1", r.Stdout);
    }

    [Fact]
    public void ReviewAndCalls_AreIdentical_ForOneOrTwoThreads()
    {
        var patch = Directory.GetFiles(TestPaths.Sample("patches"), "*.patch").Single();
        string Review(string format, int jobs) => Support.Cli.Run("review", patch, "--tree", TestPaths.Sample("trees", "hmm-4.19"), "--kernel",
            TestPaths.Sample("kernels", "hmm-4.19-before.yaml"), "--modules", TestPaths.Sample("modules"), "--format", format, "-j", jobs.ToString()).Stdout;
        foreach (var format in (string[])["markdown", "json", "sarif", "text"])
        {
            var one = Review(format, 1);
            Assert.Contains("hmm_devmem_add", one);
            Assert.Equal(one, Review(format, 2));
        }
        // The call graph of a real tree's subsystem and of real modules.
        var mm = Path.Combine(Support.RealData.Source61, "mm");
        Assert.Equal(Support.Cli.Run("scan-source", mm, "--calls", "--format", "json", "-j", "1").Stdout, Support.Cli.Run("scan-source", mm, "--calls", "--format", "json", "-j", "2").Stdout);
        var net = Path.Combine(Support.RealData.ModulesDir, "kernel", "net", "ipv4");
        string Binaries(int jobs) => Support.Cli.Run("scan-source", net, "--calls", "--kernel", Support.RealData.HeadersDir, "--format", "json", "-j", jobs.ToString()).Stdout;
        var first = Binaries(1);
        Assert.Contains("EA3001", first);
        Assert.Equal(first, Binaries(2));
    }
}
