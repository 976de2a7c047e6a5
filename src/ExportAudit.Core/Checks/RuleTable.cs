using System.Text;
using ExportAudit.Diagnostics;

namespace ExportAudit.Checks;

/// <summary>The rule list as people and rule packs read it.</summary>
public static class RuleTable
{
    public static string Text()
    {
        var text = new StringBuilder();
        foreach (var rule in Rules.All.OrderBy(r => r.Id, StringComparer.Ordinal))
        {
            text.Append($"{rule.Id}  {rule.DefaultSeverity.Name(),-7}  {rule.Name,-38}  {rule.Title}\n");
        }
        return text.ToString();
    }

    public static string Yaml()
    {
        var text = new StringBuilder("# Every rule with its default severity: the output of `exportaudit rules --format yaml`.\n" +
            "# A policy's `severity:` map changes these per project.\nrules:\n");
        foreach (var rule in Rules.All.OrderBy(r => r.Id, StringComparer.Ordinal))
        {
            text.Append($"  - {{id: {rule.Id}, name: {rule.Name}, severity: {rule.DefaultSeverity.Name()}, category: {rule.Category}}}\n");
        }
        return text.ToString();
    }
}
