using ExportAudit.Audit;
using ExportAudit.Checks.Build;
using ExportAudit.Diagnostics;

namespace ExportAudit.Reports.Modpost;

/// <summary>
/// Prints findings exactly as modpost (6.1) prints them, in modpost's order: "ERROR: modpost: " or
/// "WARNING: modpost: " and the message. Like modpost, only the first 10 unresolved symbols are printed and
/// the rest counted in the closing line (modpost's unbalanced parenthesis included).
/// </summary>
public sealed class ModpostReportWriter : IReportWriter
{
    private const int MaxUnresolvedReports = 10;

    public string Format => "modpost";

    public bool Supports(string command) => command == "check";

    public void Write(AuditResult result, TextWriter output)
    {
        var unresolved = 0;
        foreach (var finding in result.KernelOrderFindings)
        {
            if (finding.Rule.Category != "build")
            {
                continue; // input errors go to stderr; modpost has no line for them
            }
            if (finding.Rule == UnresolvedSymbolRule.Descriptor && unresolved++ >= MaxUnresolvedReports)
            {
                continue;
            }
            output.Write(Prefix(finding.Severity));
            output.Write(finding.Message);
            output.Write('\n');
        }
        if (unresolved > MaxUnresolvedReports)
        {
            output.Write($"WARNING: modpost: suppressed {unresolved - MaxUnresolvedReports} unresolved symbol warnings because there were too many)\n");
        }
    }

    private static string Prefix(Severity severity) => severity == Severity.Error ? "ERROR: modpost: " : "WARNING: modpost: ";
}
