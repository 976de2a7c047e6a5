namespace ExportAudit.Cli;

/// <summary>One --format FMT[:PATH]: where one report goes (null path = stdout).</summary>
public sealed record OutputTarget(string Format, string? Path)
{
    public static OutputTarget Parse(string text)
    {
        var colon = text.IndexOf(':');
        return colon < 0 ? new OutputTarget(text, null) : new OutputTarget(text[..colon], text[(colon + 1)..]);
    }
}
