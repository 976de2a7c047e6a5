using ExportAudit.Audit;

namespace ExportAudit.Reports;

/// <summary>Formats an <see cref="AuditResult"/>. Writers never decide anything: they only print what the checks found.</summary>
public interface IReportWriter
{
    /// <summary>The name --format takes.</summary>
    string Format { get; }

    /// <summary>Whether the format makes sense for a command (modpost lines exist only for `check`).</summary>
    bool Supports(string command);

    void Write(AuditResult result, TextWriter output);
}

public static class ReportWriters
{
    public static IReadOnlyList<IReportWriter> All { get; } =
    [
        new Text.TextReportWriter(),
        new Json.JsonReportWriter(),
        new Modpost.ModpostReportWriter(),
        new Sarif.SarifReportWriter(),
        new Junit.JunitReportWriter(),
        new GitHub.GitHubReportWriter(),
        new Markdown.MarkdownReportWriter(),
    ];

    public static IReportWriter? Find(string format) => All.FirstOrDefault(w => w.Format == format);
}
