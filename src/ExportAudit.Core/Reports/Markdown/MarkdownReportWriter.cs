using ExportAudit.Audit;
using ExportAudit.Diagnostics;
using ExportAudit.Review;

namespace ExportAudit.Reports.Markdown;

/// <summary>
/// A patch review for a reviewer (a mailing-list reply, a merge-request comment): a summary table of the export
/// changes and the consumers, then per export the evidence — before and after, hunk, in-tree users, the
/// function around it, laundering, and the kernel's own lines for each consumer it breaks.
/// </summary>
public sealed class MarkdownReportWriter : IReportWriter
{
    public string Format => "markdown";

    public bool Supports(string command) => command == "review";

    public void Write(AuditResult result, TextWriter o)
    {
        var review = result.Review ?? new ReviewReport([], []);
        var title = review.Patches.Count == 1 ? review.Patches[0].Patch.Subject ?? review.Patches[0].Patch.Name : $"{review.Patches.Count} patches";
        o.Write($"# Export review: {Escape(title)}\n\n");
        var against = result.Kernels.Count > 0 ? string.Join(", ", result.Kernels.Select(k => $"`{k.Model?.Name ?? k.Path}`")) : "no kernel given";
        o.Write($"Against {against}{(review.Tree is { } t ? $", tree `{t}`" : ", hunks only (no --tree)")}; " +
                $"{Count(review.Series.Count, "export change")}, {Count(result.Count(Severity.Error), "error")}, " +
                $"{Count(result.Count(Severity.Warning), "warning")}, {Count(result.Count(Severity.Note), "note")}.\n\n");

        if (review.Series.Count == 0)
        {
            o.Write("The series changes no export.\n\n");
        }
        else
        {
            o.Write("| Export | Change | Before | After | In-tree users | Where |\n|---|---|---|---|---|---|\n");
            foreach (var c in review.Series)
            {
                var state = c.After ?? c.Before!;
                o.Write($"| `{c.Symbol}` | {Label(c.Kind)} | {c.Before?.Describe() ?? "—"} | {c.After?.Describe() ?? "—"} | " +
                        $"{(c.InTreeUsers is { } u ? u.Count.ToString() : "?")} | {state.File}:{state.Line} |\n");
            }
            o.Write("\n");
        }

        if (review.Consumers.Count > 0)
        {
            o.Write("## Consumers\n\n| Module | License | Uses of changed exports | After the series |\n|---|---|---|---|\n");
            foreach (var m in review.Consumers)
            {
                var outcome = m.Broken ? "**breaks**" : m.UsesChanged.Count > 0 ? "builds and loads" : "unaffected";
                o.Write($"| `{m.Module}` | {Escape(string.Join(", ", m.Licenses.DefaultIfEmpty("(none)")))} | {string.Join(", ", m.UsesChanged.Select(s => $"`{s}`").DefaultIfEmpty("—"))} | {outcome} |\n");
            }
            o.Write("\n");
            foreach (var m in review.Consumers.Where(m => m.Broken))
            {
                o.Write($"`{m.Module}` after the series:\n\n```\n{string.Join("\n", m.Lines)}\n```\n\n");
            }
        }

        if (review.Series.Count > 0)
        {
            o.Write("## Evidence\n");
            foreach (var c in review.Series)
            {
                o.Write($"\n### `{c.Symbol}`: {Label(c.Kind)} ({c.Kind.Id})\n\n");
                if (c.Before is { } before) o.Write($"- Before: `{before.Describe()}` at {before.File}:{before.Line}\n");
                if (c.After is { } after) o.Write($"- After: `{after.Describe()}` at {after.File}:{after.Line}\n");
                if (c.Site is { } site) o.Write($"- Hunk: {Escape(site.Patch)}, `{site.HunkHeader}` in {site.File} (patch line {site.PatchLine})\n");
                if (c.InTreeUsers is { } users)
                {
                    o.Write(users.Count == 0 ? "- In-tree users: none outside its own file\n"
                        : $"- In-tree users: {users.Count} ({string.Join(", ", users.Take(10))}{(users.Count > 10 ? ", ..." : "")})\n");
                }
                if (c.Function is { } function) o.Write($"- Function after the series: {function}\n");
                foreach (var f in result.SortedFindings.Where(f => f.Symbol == c.Symbol && f.Rule.Id.StartsWith("EA3", StringComparison.Ordinal)))
                {
                    o.Write($"- {f.Rule.Id} {f.Severity.Name()}: {Escape(f.Message)}\n");
                    foreach (var note in f.Evidence.Notes) o.Write($"  - {Escape(note)}\n");
                }
                foreach (var f in review.LaunderingResolved.Where(f => f.Symbol == c.Symbol))
                {
                    o.Write($"- Resolves {f.Rule.Id}: {Escape(f.Message)}\n");
                    foreach (var note in f.Evidence.Notes) o.Write($"  - {Escape(note)}\n");
                }
                var broken = result.SortedFindings.Where(f => f.Symbol == c.Symbol && f.Rule.Id.StartsWith("EA41", StringComparison.Ordinal)).ToArray();
                foreach (var module in broken.GroupBy(f => f.Module))
                {
                    o.Write($"- Breaks `{module.Key}`: {string.Join("; ", module.Select(f => Escape(f.Message)))}\n");
                }
            }
        }

        var other = result.SortedFindings.Where(f => f.Symbol is null || !review.Series.Any(c => c.Symbol == f.Symbol)).ToArray();
        if (other.Length > 0)
        {
            o.Write("\n## Other findings\n\n");
            foreach (var f in other)
            {
                o.Write($"- {f.Rule.Id} {f.Severity.Name()} `{f.Module}`: {Escape(f.Message)}{(f.Location is { } l ? $" ({l})" : "")}\n");
            }
        }

        if (review.Patches.Count > 1)
        {
            o.Write("\n## Per patch\n");
            foreach (var p in review.Patches)
            {
                o.Write($"\n### {Escape(p.Patch.Subject ?? p.Patch.Name)}\n\n");
                o.Write(p.Changes.Count == 0 ? "No export changes.\n" : string.Concat(p.Changes.Select(c =>
                    $"- `{c.Symbol}`: {Label(c.Kind)} ({c.Before?.Describe() ?? "—"} → {c.After?.Describe() ?? "—"}, {(c.After ?? c.Before)!.File}:{(c.After ?? c.Before)!.Line})\n")));
            }
        }

        var unreadable = result.InputErrors.Where(e => e.Severity == Severity.Error).ToArray();
        if (unreadable.Length > 0)
        {
            o.Write("\n## Inputs that could not be read\n\n");
            foreach (var e in unreadable) o.Write($"- `{e.Where}`: {Escape(e.Message)}\n");
        }
    }

    private static string Label(RuleDescriptor kind) => kind.Id switch
    {
        "EA4001" => "made GPL-only",
        "EA4002" => "made plain",
        "EA4003" => "removed",
        "EA4004" => "added",
        "EA4005" => "namespace changed",
        _ => kind.Title,
    };

    private static string Count(int n, string word) => $"{n} {word}{(n == 1 ? "" : "s")}";

    // Table cells and list items: a '|' would end the cell, '<' could start HTML in a renderer.
    private static string Escape(string text) => text.Replace("|", "\\|").Replace("<", "&lt;");
}
