using ExportAudit.Diagnostics;
using ExportAudit.Ingest.Patch;
using ExportAudit.Model;

namespace ExportAudit.Review;

/// <summary>An export as a patch's old or new text makes it: kind, namespace, where.</summary>
public sealed record ExportState(string Symbol, ExportKind Kind, string? Namespace, string File, int Line)
{
    public bool SameExport(ExportState other) => Kind.IsGplOnly() == other.Kind.IsGplOnly() && Namespace == other.Namespace;

    public string Describe() => $"{Kind.MacroName()}{(Namespace is { } ns ? $" in {ns}" : "")}";
}

/// <summary>Where in a patch a change is: the patch, the patch file's line of the hunk, the file and its @@ header.</summary>
public sealed record PatchSite(string Patch, string PatchFile, int PatchLine, string File, string HunkHeader)
{
    public override string ToString() => $"{PatchFile}:{PatchLine} {File} {HunkHeader}";
}

/// <summary>
/// One export a patch (or a series) changes: added, removed, reclassified (plain ↔ GPL-only), moved between
/// namespaces — the DiffRules kinds — with the old and new states, the hunk, and what the review found about it.
/// </summary>
public sealed record ExportChangeReview(RuleDescriptor Kind, string Symbol, ExportState? Before, ExportState? After, PatchSite? Site)
{
    /// <summary>Files of the tree (after the patch) outside the export's own that use it; null without --tree.</summary>
    public IReadOnlyList<string>? InTreeUsers { get; init; }

    /// <summary>The function around the export after the patch, when the tree or the hunk holds it.</summary>
    public string? Function { get; init; }
}

/// <summary>The review of one patch of a series.</summary>
public sealed record PatchReview(Patch Patch, IReadOnlyList<ExportChangeReview> Changes, IReadOnlyList<string> FilesChanged)
{
    /// <summary>Files of the patch whose hunks did not apply to --tree: reviewed from the hunks alone.</summary>
    public IReadOnlyList<string> NotApplied { get; init; } = [];
}

/// <summary>A whole review: every patch, and the series' net effect (equal to the patch's own for one patch).</summary>
public sealed record ReviewReport(IReadOnlyList<PatchReview> Patches, IReadOnlyList<ExportChangeReview> Series)
{
    /// <summary>Laundering findings (EA3001) the patch makes disappear: the export is GPL-only or gone after it.</summary>
    public IReadOnlyList<Finding> LaunderingResolved { get; init; } = [];

    /// <summary>Whether --tree was given: user counts and whole functions are known.</summary>
    public string? Tree { get; init; }

    /// <summary>Each --modules input: the changed exports it uses, and whether the series breaks it.</summary>
    public IReadOnlyList<ConsumerReview> Consumers { get; init; } = [];
}

/// <summary>A consumer module after the series: the changed symbols it imports, and the kernel's lines if it breaks.</summary>
public sealed record ConsumerReview(string Module, IReadOnlyList<string> Licenses, IReadOnlyList<string> UsesChanged, bool Broken, IReadOnlyList<string> Lines);
