using System.Text.RegularExpressions;

namespace ExportAudit.Policy;

/// <summary>Shell-style patterns for module, symbol, namespace and exporter names: * and ?; everything else literal.</summary>
public sealed class Glob
{
    private readonly Regex _regex;

    public Glob(string pattern)
    {
        Pattern = pattern;
        _regex = new Regex("^" + Regex.Escape(pattern).Replace(@"\*", ".*").Replace(@"\?", ".") + "$", RegexOptions.CultureInvariant);
    }

    public string Pattern { get; }

    public bool IsMatch(string? text) => text is not null && _regex.IsMatch(text);

    public static bool Any(IReadOnlyList<Glob> globs, string? text) => globs.Any(g => g.IsMatch(text));

    public override string ToString() => Pattern;
}
