using ExportAudit.Diagnostics;
using ExportAudit.Model;

namespace ExportAudit.Checks.Source;

/// <summary>
/// The seed's argument made a rule: a plain EXPORT_SYMBOL function that calls a GPL-only export — directly or
/// through unexported helpers up to a depth — hands GPL-only functionality to proprietary modules (EA3001).
/// A plain export that reaches core functions not exported at all is reported at a lower level (EA3002).
/// </summary>
public static class LaunderingRules
{
    public static readonly RuleDescriptor GplOnlyLaundered = new(
        "EA3001", "gpl-only-functionality-laundered", Severity.Warning,
        "Plain export wraps GPL-only functionality",
        "A non-GPL export calls an EXPORT_SYMBOL_GPL symbol, directly or through unexported helpers: any module, proprietary included, reaches the GPL-only facility through it. This is the argument that made hmm_devmem_add GPL-only in 2018. Thin wrappers are listed first.");

    public static readonly RuleDescriptor ReachesUnexported = new(
        "EA3002", "plain-export-reaches-unexported", Severity.Note,
        "Plain export reaches core functions not exported to modules",
        "A non-GPL export calls kernel functions that are not exported at all (as HMM did with alloc_pages_vma and walk_page_range): functionality the kernel gives no module is handed to every module.");

    public static IReadOnlyList<RuleDescriptor> All { get; } = [GplOnlyLaundered, ReachesUnexported];
}

/// <summary>A path through the call graph: the export, the helpers, the symbol reached.</summary>
public sealed record CallChain(IReadOnlyList<FunctionInfo> Path, string Target, string? TargetDefinedAt = null);

/// <summary>Walks a call graph (a kernel model's, or a source tree's) from every plain export.</summary>
public static class LaunderingCheck
{
    public const int DefaultDepth = 2;

    public static IReadOnlyList<Finding> Run(IReadOnlyDictionary<string, FunctionInfo> functions, SymbolTable exports, int depth = DefaultDepth) =>
        Run(new ModelCallGraph(functions), exports, depth);

    /// <param name="jobs">Threads for the walks (each start's is its own); the findings are the same for any number.</param>
    public static IReadOnlyList<Finding> Run(ICallGraph graph, SymbolTable exports, int depth = DefaultDepth, int jobs = 1)
    {
        var starts = graph.Functions.Where(f => f.Exported).OrderBy(f => f.Name, StringComparer.Ordinal).ThenBy(f => f.Definition?.File, StringComparer.Ordinal).ToArray();
        var made = new List<(Finding Finding, int Rank)>?[starts.Length];
        ExportAudit.Ingest.Workers.For(starts.Length, jobs, k => made[k] = FromStart(starts[k], graph, exports, depth));
        var findings = made.Where(m => m is not null).SelectMany(m => m!).ToList();
        // Reports sort by module and symbol (contracts.md); the ranking travels as Order and as a note. EA3001 first, so
        // that its rank counts its own findings (a long function's thinness once passed EA3002's offset: "rank 3498 of 2212").
        var laundered = findings.Count(f => f.Finding.Rule == LaunderingRules.GplOnlyLaundered);
        return findings.OrderBy(f => f.Finding.Rule == LaunderingRules.GplOnlyLaundered ? 0 : 1).ThenBy(f => f.Rank).ThenBy(f => f.Finding.Symbol, StringComparer.Ordinal)
            .Select((f, i) => f.Finding with
            {
                Order = i,
                Evidence = f.Finding.Rule == LaunderingRules.GplOnlyLaundered
                    ? f.Finding.Evidence with { Notes = [.. f.Finding.Evidence.Notes, $"thin-wrapper rank: {i + 1} of {laundered}"] }
                    : f.Finding.Evidence,
            }).ToArray();
    }

    // The findings of one exported function: null when its export is GPL-only or it reaches nothing to report.
    private static List<(Finding Finding, int Rank)>? FromStart(FunctionInfo function, ICallGraph graph, SymbolTable exports, int depth)
    {
        if ((graph.ExportOf(function) ?? exports.Find(function.Name)) is not { IsGplOnly: false } export)
        {
            return null;
        }
        List<(Finding Finding, int Rank)>? findings = null;
        var gplOnly = new List<CallChain>();
        var unexported = new List<CallChain>();
        Walk(function, [function], graph, exports, depth, gplOnly, unexported, new HashSet<string>(StringComparer.Ordinal) { function.Name });
        // Thin wrappers first: few statements and calls, the GPL-only call made directly.
        var thinness = function.Statements * 10 + function.Calls.Count * 10 + gplOnly.Select(c => c.Path.Count).DefaultIfEmpty(9).Min();
        if (gplOnly.Count > 0)
        {
            var targets = gplOnly.Select(c => c.Target).Distinct().ToArray();
            (findings ??= []).Add((new Finding(LaunderingRules.GplOnlyLaundered, LaunderingRules.GplOnlyLaundered.DefaultSeverity, export.OwnerName, export.Name, export.Namespace, export.OwnerName,
                $"{export.Kind.MacroName()}({export.Name}) reaches GPL-only {string.Join(", ", targets)}",
                new Evidence { Export = export, Notes = [.. gplOnly.Select(c => Describe(c, exports)), function.Statements > 0 ? $"calls: {function.Calls.Count}, statements: {function.Statements}" : $"calls: {function.Calls.Count}"] })
            { Location = export.Definition ?? function.Definition ?? export.ReadFrom }, thinness));
        }
        if (unexported.Count > 0)
        {
            (findings ??= []).Add((new Finding(LaunderingRules.ReachesUnexported, LaunderingRules.ReachesUnexported.DefaultSeverity, export.OwnerName, export.Name, export.Namespace, export.OwnerName,
                $"{export.Kind.MacroName()}({export.Name}) reaches unexported {string.Join(", ", unexported.Select(c => c.Target).Distinct())}",
                new Evidence { Export = export, Notes = [.. unexported.Select(c => Describe(c, exports))] })
            { Location = export.Definition ?? function.Definition ?? export.ReadFrom }, thinness));
        }
        return findings;
    }

    private static void Walk(FunctionInfo from, List<FunctionInfo> path, ICallGraph graph, SymbolTable exports,
        int depth, List<CallChain> gplOnly, List<CallChain> unexported, HashSet<string> seen)
    {
        foreach (var callee in from.Calls)
        {
            if (!seen.Add(callee))
            {
                continue;
            }
            var export = exports.Find(callee);
            if (export is not null && !graph.Reaches(path[^1], export))
            {
                export = null; // a header's stub or inline under this configuration: judged as any other call
            }
            if (export is { IsGplOnly: true })
            {
                gplOnly.Add(new CallChain(path.ToArray(), callee));
                continue;
            }
            if (export is not null)
            {
                continue; // another plain export: its own entry point, judged on its own
            }
            if (graph.Helper(path[^1], callee) is { } helper)
            {
                if (path.Count <= depth)
                {
                    Walk(helper, [.. path, helper], graph, exports, depth, gplOnly, unexported, seen);
                }
                else if (graph.IsUnexportedCore(path[^1], callee, out var definedAt))
                {
                    unexported.Add(new CallChain(path.ToArray(), callee, definedAt)); // deeper than --depth: reported as reached, not followed
                }
            }
            else if (graph.IsUnexportedCore(path[^1], callee, out var definedAt))
            {
                unexported.Add(new CallChain(path.ToArray(), callee, definedAt));
            }
        }
    }

    private static string Describe(CallChain chain, SymbolTable exports)
    {
        var steps = chain.Path.Select(f => f.Definition is { } d ? $"{f.Name} ({d})" : f.Name);
        var target = exports.Find(chain.Target) is { } e ? $"{chain.Target} ({e.Kind.MacroName()}{(e.Definition is { } d ? $", {d}" : "")})" : $"{chain.Target} (not exported{(chain.TargetDefinedAt is { } at ? $", {at}" : "")})";
        return string.Join(" -> ", steps.Append(target));
    }
}
