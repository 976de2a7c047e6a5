using ExportAudit.Diagnostics;

namespace ExportAudit.Checks;

/// <summary>Every rule descriptor, for --help, SARIF's rule table and the docs. IDs are stable and never reused.</summary>
public static class Rules
{
    public static IReadOnlyList<RuleDescriptor> All { get; } =
    [
        Build.GplOnlySymbolRule.Descriptor,
        Build.NamespaceNotImportedRule.Descriptor,
        Build.UnresolvedSymbolRule.Descriptor,
        Build.ExportedWithoutDefinitionRule.Descriptor,
        Build.MissingLicenseRule.Descriptor,
        Build.ExportedTwiceRule.Descriptor,
        Build.NoCrcRule.Descriptor,
        .. Load.LoadRules.All,
        .. Source.LaunderingRules.All,
        .. Source.InTreeUseRules.All,
        .. ExportAudit.Diff.DiffRules.All,
        .. ExportAudit.Policy.PolicyRules.All,
        InputRules.Unreadable,
    ];

    public static RuleDescriptor? Find(string id) => All.FirstOrDefault(r => r.Id == id);
}

public static class InputRules
{
    public static readonly RuleDescriptor Unreadable = new(
        "EA9001", "input-unreadable", Severity.Error,
        "An input could not be read",
        "The file is missing, truncated, of an unknown format or malformed at the line given. The audit of every other input still ran; nothing from this one is in it.");
}
