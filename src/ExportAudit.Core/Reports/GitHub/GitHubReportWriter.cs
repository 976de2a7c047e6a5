using ExportAudit.Audit;
using ExportAudit.Diagnostics;

namespace ExportAudit.Reports.GitHub;

/// <summary>
/// GitHub Actions workflow commands: one <c>::error</c>, <c>::warning</c> or <c>::notice</c> annotation per
/// finding that counts (waived and baselined ones are left out), at the module's file or the source line.
/// </summary>
public sealed class GitHubReportWriter : IReportWriter
{
    public string Format => "github";

    public bool Supports(string command) => true;

    public void Write(AuditResult result, TextWriter output)
    {
        foreach (var f in result.SortedFindings.Where(f => f.Suppression is null))
        {
            var command = f.Severity switch { Severity.Error => "error", Severity.Warning => "warning", _ => "notice" };
            var location = f.Location ?? new Model.Site(f.Evidence.ModulePath ?? f.Module, null);
            var line = location.Line is { } l ? $",line={l}" : "";
            output.Write($"::{command} file={Property(location.File)}{line},title={Property($"{f.Rule.Id} {f.Rule.Name}")}::{Data(f.Message)}\n");
        }
    }

    // The escapes GitHub's runner undoes: data loses %, CR and LF; properties also : and ,.
    private static string Data(string text) => text.Replace("%", "%25").Replace("\r", "%0D").Replace("\n", "%0A");

    private static string Property(string text) => Data(text).Replace(":", "%3A").Replace(",", "%2C");
}
