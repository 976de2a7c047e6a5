using ExportAudit.Diagnostics;
using ExportAudit.Model;

namespace ExportAudit.Policy;

/// <summary>One deny or allow entry: which modules it is about, and which symbols, namespaces or exporters.</summary>
public sealed record SymbolRule(
    IReadOnlyList<Glob> Modules,
    IReadOnlyList<Glob> Symbols,
    IReadOnlyList<Glob> Namespaces,
    IReadOnlyList<Glob> Exporters,
    string? Reason,
    Site Source)
{
    public bool Matches(Export export) =>
        Glob.Any(Symbols, export.Name) || Glob.Any(Namespaces, export.Namespace) || Glob.Any(Exporters, export.OwnerName);
}

/// <summary>A license string the policy accepts although the kernel does not: an explicit, reported deviation.</summary>
public sealed record LicenseDeviation(string License, string Reason, Site Source);

/// <summary>A YAML policy (rules/*.yaml): severities, deny and allow lists, namespace discipline, license deviations.</summary>
public sealed record PolicyFile(
    string Name,
    string Path,
    IReadOnlyDictionary<string, Severity?> Severities,
    IReadOnlyList<SymbolRule> Deny,
    IReadOnlyList<SymbolRule> Allow,
    bool RequireImportNsDiscipline,
    IReadOnlyList<LicenseDeviation> ExtraCompatibleLicenses);

/// <summary>A waiver: findings of a module (and symbol, and/or rule) accepted for a reason, by an owner, until a date.</summary>
public sealed record Waiver(Glob Module, Glob? Symbol, string? Rule, string Reason, string Owner, DateOnly Expires, Site Source)
{
    public bool Matches(Finding finding) =>
        Module.IsMatch(finding.Module)
        && (Symbol is null || Symbol.IsMatch(finding.Symbol))
        && (Rule is null || Rule == finding.Rule.Id || Rule == finding.Rule.Name);

    public string Describe() => $"{Module}{(Symbol is null ? "" : "/" + Symbol)}{(Rule is null ? "" : " " + Rule)}";
}

/// <summary>What gates a run beyond the kernel's own checks.</summary>
public sealed record GateSettings
{
    public IReadOnlyList<PolicyFile> Policies { get; init; } = [];
    public IReadOnlyList<Waiver> Waivers { get; init; } = [];
    /// <summary>Fingerprints of the accepted findings (--baseline); null without one.</summary>
    public IReadOnlySet<string>? Baseline { get; init; }
    /// <summary>The date waivers expire against (UTC today unless given, for reproducible runs).</summary>
    public DateOnly Today { get; init; } = DateOnly.FromDateTime(DateTime.UtcNow);
}
