namespace ExportAudit.Ingest.Patch;

/// <summary>One line of a hunk: ' ' context, '-' removed, '+' added, with its line in the old and the new file.</summary>
public readonly record struct HunkLine(char Kind, string Text, int? OldLine, int? NewLine);

/// <summary>An @@ -a,b +c,d @@ hunk. <see cref="PatchLine"/> is the line of its @@ header in the patch file.</summary>
public sealed record Hunk(int OldStart, int OldCount, int NewStart, int NewCount, int PatchLine, IReadOnlyList<HunkLine> Lines)
{
    public string Header => $"@@ -{OldStart},{OldCount} +{NewStart},{NewCount} @@";
}

/// <summary>The changes to one file. A path is null for a created (old) or deleted (new) file.</summary>
public sealed record FilePatch(string? OldPath, string? NewPath, int PatchLine, IReadOnlyList<Hunk> Hunks)
{
    /// <summary>The path the change is about: the new one, or the old one for a deletion.</summary>
    public string Path => NewPath ?? OldPath!;
}

/// <summary>
/// One patch: a mail of a git format-patch series or mbox, or a plain unified diff. <see cref="Name"/> says
/// where it came from ("0001-x.patch", "series.mbox #2"), <see cref="Subject"/> is the decoded Subject header.
/// </summary>
public sealed record Patch(string Source, string Name, int Index, string? Subject, string? From, string? MessageId, int StartLine, IReadOnlyList<FilePatch> Files);
