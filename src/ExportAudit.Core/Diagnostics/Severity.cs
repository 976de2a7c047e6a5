namespace ExportAudit.Diagnostics;

/// <summary>The SARIF levels, most severe first.</summary>
public enum Severity
{
    Error = 0,
    Warning = 1,
    Note = 2,
}

public static class Severities
{
    public static string Name(this Severity severity) => severity switch
    {
        Severity.Error => "error",
        Severity.Warning => "warning",
        Severity.Note => "note",
        _ => throw new ArgumentOutOfRangeException(nameof(severity)),
    };

    public static bool TryParse(string text, out Severity severity)
    {
        switch (text)
        {
            case "error": severity = Severity.Error; return true;
            case "warning": severity = Severity.Warning; return true;
            case "note": severity = Severity.Note; return true;
            default: severity = default; return false;
        }
    }

    /// <summary>True when <paramref name="severity"/> is at or above <paramref name="threshold"/>.</summary>
    public static bool AtLeast(this Severity severity, Severity threshold) => severity <= threshold;
}
