using ExportAudit.Audit;
using ExportAudit.Diagnostics;
using ExportAudit.Model;

namespace ExportAudit.Reports.Text;

/// <summary>
/// For people: findings grouped by module, each with the facts that decided it; for simulate-load, each
/// module's predicted kernel log and outcome in load order. Plain text, no colour (the terminal decides nothing here).
/// </summary>
public sealed class TextReportWriter : IReportWriter
{
    public string Format => "text";

    public bool Supports(string command) => true;

    public void Write(AuditResult result, TextWriter o)
    {
        var kernels = result.Kernels.Count == 0
            ? "no kernel source"
            : string.Join(", ", result.Kernels.Select(k => k.Model is { } m ? $"{k.Path} ({m.Name})" : k.Path));
        o.Write(result.Review is { } r
            ? $"exportaudit review: {Plural(r.Patches.Count, "patch")}, {Plural(r.Series.Count, "export change")} in all; {Plural(result.Modules.Count, "consumer module")}; against {kernels}{(r.Tree is { } tree ? $", tree {tree}" : ", hunks only")}\n"
            : result.Modules.Count == 0 && result.Command == "scan-source"
            ? $"exportaudit {result.Command}: {kernels}; {Plural(result.Symbols.Count, "export")}\n"
            : $"exportaudit {result.Command}: {Plural(result.Modules.Count, "module")} against {kernels}; {Plural(result.Symbols.Count, "export")} in the symbol table\n");

        if (result.Review is { } review)
        {
            foreach (var patch in review.Patches)
            {
                o.Write($"\n{patch.Patch.Name}{(patch.Patch.Subject is { } subject ? ": " + subject : "")}\n");
                foreach (var c in patch.Changes)
                {
                    var state = (c.After ?? c.Before)!;
                    o.Write($"  {c.Kind.Id}  {c.Symbol}: {c.Before?.Describe() ?? "not exported"} -> {c.After?.Describe() ?? "not exported"}  ({state.File}:{state.Line})\n");
                }
                if (patch.Changes.Count == 0)
                {
                    o.Write("  no export changes\n");
                }
            }
            foreach (var consumer in review.Consumers)
            {
                o.Write($"\nconsumer {consumer.Module}: {(consumer.Broken ? "breaks" : consumer.UsesChanged.Count > 0 ? "builds and loads" : "unaffected")}\n");
                foreach (var line in consumer.Lines)
                {
                    o.Write($"  {line}\n");
                }
            }
        }

        if (result.Loads is { } loads)
        {
            o.Write("\nLoad order (insmod on a fresh boot):\n");
            foreach (var load in loads)
            {
                o.Write($"\n{load.Module.Name}: {load.Outcome}{(load.ModuleTaints.Length > 0 ? $", module taints {load.ModuleTaints}" : "")}\n");
                foreach (var line in load.Log)
                {
                    o.Write($"  [{line.Level}] {line.Text}\n");
                }
            }
        }

        foreach (var group in result.SortedFindings.GroupBy(f => f.Module))
        {
            var module = result.Modules.FirstOrDefault(m => m.Name == group.Key);
            o.Write($"\n{group.Key}{(module is null ? "" : $"  ({module.ReadFrom})")}\n");
            foreach (var f in group)
            {
                var mark = f.Suppression switch
                {
                    { Kind: "waiver" } w => $"  [waived until {w.Expires:yyyy-MM-dd} by {w.Owner}: {w.Justification}]",
                    { Kind: "baseline" } => "  [in the baseline]",
                    _ => f.BaselineState == "new" ? "  [new]" : "",
                };
                o.Write($"  {f.Severity.Name(),-7} {f.Rule.Id}  {f.Message}{mark}\n");
                foreach (var why in Why(f))
                {
                    o.Write($"                 {why}\n");
                }
            }
        }

        var unreadable = result.InputErrors.Count(e => e.Severity == Severity.Error);
        var suppressed = result.Findings.Count(f => f.Suppression is not null);
        o.Write($"\n{Plural(result.Count(Severity.Error), "error")}, {Plural(result.Count(Severity.Warning), "warning")}, {Plural(result.Count(Severity.Note), "note")}");
        o.Write(result.Modules.Count > 0
            ? $" in {result.Findings.Select(f => f.Module).Distinct().Count()} of {Plural(result.Modules.Count, "module")}"
            : $" about {Plural(result.Findings.Select(f => f.Symbol).Distinct().Count(), "symbol")}");
        o.Write(suppressed > 0 ? $" ({suppressed} waived or in the baseline)" : "");
        o.Write(unreadable > 0 ? $"; {Plural(unreadable, "input")} could not be read (see above)\n" : "\n");
    }

    private static IEnumerable<string> Why(Finding f)
    {
        var e = f.Evidence;
        if (e.Export is { } export)
        {
            yield return "export: " + Describe(export);
        }
        if (e.PreviousExport is { } previous)
        {
            yield return "previous: " + Describe(previous);
        }
        if (e.DecidingLicense is { } license)
        {
            var all = e.Licenses is { Count: > 1 } list ? $" (licenses: {string.Join(", ", list.Select(l => $"'{l}'"))})" : "";
            yield return $"license: '{license}' is not GPL-compatible{all}; {e.LicenseRule}";
        }
        if (e.Hunk is { } hunk)
        {
            yield return "hunk: " + hunk;
        }
        foreach (var note in e.Notes)
        {
            yield return note;
        }
    }

    private static string Describe(Export export)
    {
        var ns = export.Namespace is { } n ? $" in namespace {n}" : "";
        var site = export.Definition is { } d ? $", defined at {d}" : "";
        return $"{export.Kind.MacroName()} {export.Name}{ns} by {export.Owner}{site} (from {export.ReadFrom})";
    }

    private static string Plural(int n, string word) => $"{n} {word}{(n == 1 ? "" : word.EndsWith("ch", StringComparison.Ordinal) ? "es" : "s")}";
}
