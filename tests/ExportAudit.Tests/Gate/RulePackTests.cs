using ExportAudit.Checks;
using ExportAudit.Model;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Gate;

public class RulePackTests
{
    [Fact]
    public void KernelLicenseTable_EqualsTheOneTheChecksUse()
    {
        var lines = File.ReadAllLines(Path.Combine(TestPaths.RepoRoot, "rules", "kernel-license-table.yaml"));
        var listed = lines.SkipWhile(l => l != "gpl_compatible:").Skip(1).Where(l => l.StartsWith("  - ")).Select(l => l[4..].Trim('"')).ToArray();
        Assert.Equal(License.GplCompatible, listed);
    }

    [Fact]
    public void DefaultSeverities_IsTheCurrentRuleTable()
    {
        Assert.Equal(RuleTable.Yaml(), File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "rules", "default-severities.yaml")));
        Assert.Equal(RuleTable.Yaml(), Support.Cli.Run("rules", "--format", "yaml").Stdout);
    }

    [Fact]
    public void RuleIds_AreUniqueAndCategorised()
    {
        Assert.Equal(Rules.All.Count, Rules.All.Select(r => r.Id).Distinct().Count());
        Assert.All(Rules.All, r => Assert.NotEqual("other", r.Category));
    }
}
