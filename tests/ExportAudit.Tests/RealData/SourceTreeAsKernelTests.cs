using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.RealData;

/// <summary>
/// A source tree as --kernel: modpost's checks against linux-source-6.1 give the lines they give against the
/// Module.symvers Debian built from it — GPL-only and namespace errors included (DEFAULT_SYMBOL_NAMESPACE from
/// Makefiles too).
/// </summary>
public class SourceTreeAsKernelTests(ITestOutputHelper output)
{
    [Fact]
    public void ModpostLines_AgainstTheSourceTree_EqualThoseAgainstModuleSymvers()
    {
        // A proprietary module importing every 60th export of the real table, no namespace imported.
        var rows = File.ReadLines(Support.RealData.HeadersSymvers).Select(l => l.Split('\t')).Where((_, i) => i % 60 == 0).ToArray();
        Assert.Contains(rows, r => r[3] == "EXPORT_SYMBOL_GPL");
        Assert.Contains(rows, r => r[4].Length > 0);
        using var dir = new TempDir();
        var manifest = dir.Write("vendor.yaml", $"module: vendor\nlicense: Proprietary\nimports: [{string.Join(", ", rows.Select(r => r[1]))}]\n");

        var fromSymvers = Support.Cli.Run("check", "--kernel", Support.RealData.HeadersDir, manifest, "--format", "modpost");
        var fromSource = Support.Cli.Run("check", "--kernel", Support.RealData.Source61, manifest, "--format", "modpost");
        Assert.Equal("", fromSource.Stderr);
        var expected = fromSymvers.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var actual = fromSource.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        output.WriteLine($"{rows.Length} imports; {expected.Length} modpost lines against Module.symvers, {actual.Length} against the source tree");
        foreach (var line in expected.Except(actual)) output.WriteLine("  only against symvers: " + line);
        foreach (var line in actual.Except(expected)) output.WriteLine("  only against source: " + line);
        Assert.True(expected.Count(l => l.Contains("GPL-only", StringComparison.Ordinal)) > 50);
        Assert.Contains(expected, l => l.Contains("from namespace", StringComparison.Ordinal));
        // The only differences allowed: exports the scanner cannot see (0.4 % of 6.1's, see SourceRecallTests) are
        // undefined against the source tree; every other line is the same, in the same order.
        var missing = actual.Except(expected).ToArray();
        Assert.All(missing, l => Assert.Matches("^ERROR: modpost: \"\\w+\" \\[vendor.ko\\] undefined!$", l));
        Assert.True(missing.Length * 100 <= rows.Length, $"{missing.Length} of {rows.Length} imports unresolved against the source tree");
        Assert.Equal(expected, actual.Except(missing));
    }
}
