namespace ExportAudit.Diagnostics;

/// <summary>
/// A rule's identity, shared by every report and by --help: a stable ID (never reused), a short name,
/// the default severity and the help text that says why the rule exists.
/// </summary>
public sealed record RuleDescriptor(string Id, string Name, Severity DefaultSeverity, string Title, string Help)
{
    public string Category => Id[2] switch
    {
        '1' => "build",
        '2' => "load",
        '3' => "source",
        '4' => "review",
        '5' => "policy",
        '9' => "input",
        _ => "other",
    };
}
