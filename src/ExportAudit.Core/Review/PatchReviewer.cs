using System.Text;
using ExportAudit.Checks.Source;
using ExportAudit.Diagnostics;
using ExportAudit.Diff;
using ExportAudit.Ingest.Patch;
using ExportAudit.Ingest.Source;
using ExportAudit.Model;

namespace ExportAudit.Review;

/// <summary>What a review needs besides the patches: the tree they apply to, the kernel, the consumers.</summary>
public sealed record ReviewInputs
{
    /// <summary>The tree the series applies to (read only), or null: then the hunks alone are reviewed.</summary>
    public PatchedTree? Tree { get; init; }
    /// <summary>The kernel's export table before the series (--kernel), possibly empty.</summary>
    public SymbolTable Kernel { get; init; } = SymbolTable.Empty;
    /// <summary>A kernel model's call graph, when --kernel was a model.</summary>
    public KernelModel? Model { get; init; }
    public KernelTraits Traits { get; init; } = KernelTraits.Unknown;
    public IReadOnlyList<KernelModule> Modules { get; init; } = [];
    public int Depth { get; init; } = LaunderingCheck.DefaultDepth;
    public int Jobs { get; init; } = Environment.ProcessorCount;
    public Action<int, int>? Progress { get; init; }
}

/// <summary>
/// Reviews a patch series for its effect on the export table. From the hunks alone: each export added, removed,
/// reclassified or moved between namespaces, with file and line. With the tree: the whole files before and
/// after (the same scanner as scan-source, so wrappers and Makefile namespaces count), the in-tree users of
/// added and reclassified exports, and the laundering check on the functions the series touches. With modules:
/// what the series breaks, in modpost's and the loader's own words (the same code as `diff`).
/// </summary>
public static class PatchReviewer
{
    private static bool IsSource(string path) => path.EndsWith(".c", StringComparison.Ordinal) || path.EndsWith(".h", StringComparison.Ordinal)
        || path.EndsWith(".S", StringComparison.Ordinal);

    public static (ReviewReport Report, List<Finding> Findings) Review(IReadOnlyList<Patch> patches, ReviewInputs inputs, InputErrors errors)
    {
        var scanner = new SourceScanner(errors, new SourceScanOptions { Jobs = 1 });
        var quiet = new SourceScanner(new InputErrors(), new SourceScanOptions { Jobs = 1 }); // fragments start mid-comment: no warnings
        var tree = inputs.Tree;
        var reviews = new List<PatchReview>();
        var originals = new Dictionary<string, string[]?>(StringComparer.Ordinal); // each changed file as the tree had it
        var fragmentFunctions = new Dictionary<string, List<SourceFunction>>(StringComparer.Ordinal);
        var finalExports = new Dictionary<string, List<ExportState>>(StringComparer.Ordinal);

        foreach (var patch in patches)
        {
            var before = new List<(ExportState State, PatchSite Site)>();
            var after = new List<(ExportState State, PatchSite Site)>();
            var notApplied = new List<string>();
            foreach (var file in patch.Files.Where(f => IsSource(f.Path)))
            {
                if (file.Hunks.Count == 0 && file.OldPath == file.NewPath)
                {
                    continue; // mode change only
                }
                var defaultSite = Site(patch, file, file.Hunks.FirstOrDefault());
                var applied = false;
                if (tree is not null)
                {
                    foreach (var p in (string?[])[file.OldPath, file.NewPath])
                    {
                        if (p is not null && !originals.ContainsKey(p) && tree.FullPath(p) is not null)
                        {
                            originals[p] = tree.Lines(p);
                        }
                    }
                    var oldLines = file.OldPath is null ? [] : tree.Lines(file.OldPath);
                    if (tree.TryApply(file, out var problem))
                    {
                        applied = true;
                        var ns = file.NewPath is null ? null : SourceScanner.MakefileNamespace(tree.Root, file.NewPath);
                        var oldNs = file.OldPath is null ? null : file.OldPath == file.NewPath ? ns : SourceScanner.MakefileNamespace(tree.Root, file.OldPath);
                        if (file.OldPath is not null && oldLines is not null)
                        {
                            before.AddRange(Scan(scanner, file.OldPath, PatchedTree.Join(oldLines), oldNs).Select(e => (e, SiteOf(patch, file, e.Line, old: true) ?? defaultSite)));
                        }
                        if (file.NewPath is not null && tree.Lines(file.NewPath) is { } newLines)
                        {
                            var exports = Scan(scanner, file.NewPath, PatchedTree.Join(newLines), ns);
                            after.AddRange(exports.Select(e => (e, SiteOf(patch, file, e.Line, old: false) ?? defaultSite)));
                        }
                    }
                    else
                    {
                        errors.Error(patch.Source, file.PatchLine, $"{problem} in {tree.Root}; reviewed from its hunks alone");
                        notApplied.Add(file.Path);
                    }
                }
                if (!applied)
                {
                    foreach (var hunk in file.Hunks)
                    {
                        var site = Site(patch, file, hunk);
                        if (file.OldPath is not null)
                        {
                            before.AddRange(ScanFragment(quiet, file.OldPath, hunk, old: true).Select(e => (e, site)));
                        }
                        if (file.NewPath is not null)
                        {
                            after.AddRange(ScanFragment(quiet, file.NewPath, hunk, old: false).Select(e => (e, site)));
                            var text = Encoding.UTF8.GetBytes(string.Join('\n', hunk.Lines.Where(l => l.Kind != '-').Select(l => l.Text)) + "\n");
                            var lines = hunk.Lines.Where(l => l.Kind != '-').Select(l => l.NewLine!.Value).ToArray();
                            var added = hunk.Lines.Where(l => l.Kind == '+').Select(l => l.NewLine!.Value).ToHashSet();
                            foreach (var f in FunctionExtractor.Extract(file.NewPath, text))
                            {
                                var (start, end) = (lines[f.Line - 1], lines[Math.Min(f.EndLine, lines.Length) - 1]);
                                if (added.Any(l => l >= start && l <= end))
                                {
                                    Add(fragmentFunctions, file.NewPath, f with { Line = start, EndLine = end });
                                }
                            }
                        }
                    }
                }
            }
            var changes = Compare(before, after);
            reviews.Add(new PatchReview(patch, changes, patch.Files.Select(f => f.Path).Distinct().ToArray()) { NotApplied = notApplied });
        }

        // The series' net effect: each symbol's first "before" and last "after".
        var net = new Dictionary<string, (ExportState? Before, ExportState? After, PatchSite? Site)>(StringComparer.Ordinal);
        foreach (var change in reviews.SelectMany(r => r.Changes))
        {
            net[change.Symbol] = net.TryGetValue(change.Symbol, out var seen) ? (seen.Before, change.After, change.Site) : (change.Before, change.After, change.Site);
        }
        var series = net.OrderBy(p => p.Key, StringComparer.Ordinal)
            .SelectMany(p => Classify(p.Key, p.Value.Before, p.Value.After, p.Value.Site)).ToList();

        var findings = new List<Finding>();

        // In-tree users of what the series adds or reclassifies (after it: a user the series adds counts).
        if (tree is not null)
        {
            var asked = series.Where(c => c.After is not null && c.Kind != DiffRules.Removed).Select(c => c.Symbol).ToHashSet(StringComparer.Ordinal);
            var patched = tree.ChangedFiles.ToDictionary(f => f, f => tree.Lines(f) is { } l ? PatchedTree.Join(l) : null, StringComparer.Ordinal);
            var users = InTreeUsers.Find(tree.Root, asked, patched, inputs.Jobs, errors);
            for (var i = 0; i < series.Count; i++)
            {
                if (users.TryGetValue(series[i].Symbol, out var files))
                {
                    series[i] = series[i] with { InTreeUsers = files.Where(f => f != series[i].After!.File).ToArray() };
                }
            }
        }

        // The tables before and after the series: the kernel's (or the tree's, or what the patches' old side
        // shows), then the series' changes applied.
        var treeScan = tree is not null ? new SourceScanner(errors, new SourceScanOptions { Jobs = inputs.Jobs, Progress = inputs.Progress }).Scan(tree.Root) : null;
        var changedFiles = tree?.ChangedFiles.ToHashSet(StringComparer.Ordinal) ?? [];
        var baseBuilder = new SymbolTableBuilder(externalBuild: true);
        baseBuilder.AddRange(inputs.Kernel.All, "kernel");
        if (treeScan is not null)
        {
            baseBuilder.AddRange(treeScan.Exports.Where(e => inputs.Kernel.Find(e.Symbol) is null).Select(e => e.ToExport(Export.VmlinuxName)), "tree");
        }
        foreach (var change in series.Where(c => c.Before is not null && inputs.Kernel.Find(c.Symbol) is null))
        {
            baseBuilder.Add(ToExport(change.Before!, Export.VmlinuxName, null), "patch");
        }
        var beforeTable = baseBuilder.Build();
        var afterTable = Apply(beforeTable, series);

        foreach (var change in series)
        {
            findings.Add(ChangeFinding(change, beforeTable));
            if (change.Kind == DiffRules.Added && change.InTreeUsers is { Count: 0 })
            {
                var owner = Owner(change, beforeTable);
                findings.Add(new Finding(InTreeUseRules.NoInTreeUser, InTreeUseRules.NoInTreeUser.DefaultSeverity, owner, change.Symbol, change.After!.Namespace, owner,
                    $"{change.After.Describe()}({change.Symbol}) has no user in the tree outside {change.After.File}",
                    new Evidence { Export = ToExport(change.After, owner, null), Hunk = change.Site?.ToString(), Notes = ["in-tree users: 0"] })
                { Location = new Site(change.After.File, change.After.Line) });
            }
        }

        // Laundering on the code as it is after the series: the functions it touches and the exports it changes.
        var changedSymbols = series.Select(c => c.Symbol).ToHashSet(StringComparer.Ordinal);
        var resolved = new List<Finding>();
        if (inputs.Model is { } model)
        {
            var old = LaunderingCheck.Run(model.Functions, beforeTable, inputs.Depth).Where(f => changedSymbols.Contains(f.Symbol!)).ToArray();
            var now = LaunderingCheck.Run(model.Functions, afterTable, inputs.Depth).Where(f => changedSymbols.Contains(f.Symbol!)).ToArray();
            findings.AddRange(now);
            resolved.AddRange(old.Where(o => !now.Any(n => n.Rule == o.Rule && n.Symbol == o.Symbol)));
        }
        // Source: the functions of each changed file after the series (whole files with --tree, else the complete
        // functions the hunks hold), walked through the file's static helpers; and before it, for what it resolves.
        var graphs = new List<(string File, Dictionary<string, FunctionInfo> After, Dictionary<string, FunctionInfo>? Before, HashSet<string> Touched)>();
        if (tree is not null)
        {
            foreach (var file in changedFiles.Where(IsSource).Order(StringComparer.Ordinal))
            {
                if (tree.Lines(file) is not { } lines)
                {
                    continue;
                }
                var original = originals.GetValueOrDefault(file);
                var oldFunctions = original is null ? [] : FunctionExtractor.Extract(file, PatchedTree.Join(original));
                var oldBodies = oldFunctions.GroupBy(f => f.Name).ToDictionary(g => g.Key, g => Body(original!, g.First()), StringComparer.Ordinal);
                var functions = FunctionExtractor.Extract(file, PatchedTree.Join(lines));
                var touched = functions.Where(f => !oldBodies.TryGetValue(f.Name, out var body) || body != Body(lines, f)).Select(f => f.Name)
                    .Concat(changedSymbols).ToHashSet(StringComparer.Ordinal);
                graphs.Add((file, Graph(functions, afterTable), original is null ? null : Graph(oldFunctions, beforeTable), touched));
            }
        }
        else
        {
            foreach (var (file, functions) in fragmentFunctions.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                graphs.Add((file, Graph(functions, afterTable), null, functions.Select(f => f.Name).Concat(changedSymbols).ToHashSet(StringComparer.Ordinal)));
            }
        }
        foreach (var (file, graph, oldGraph, touched) in graphs)
        {
            var now = LaunderingCheck.Run(graph, afterTable, inputs.Depth)
                .Where(f => touched.Contains(f.Symbol!) && !findings.Any(m => m.Rule == f.Rule && m.Symbol == f.Symbol)).ToArray();
            findings.AddRange(now);
            if (oldGraph is not null)
            {
                resolved.AddRange(LaunderingCheck.Run(oldGraph, beforeTable, inputs.Depth)
                    .Where(o => changedSymbols.Contains(o.Symbol!) && !now.Any(n => n.Rule == o.Rule && n.Symbol == o.Symbol) && !resolved.Any(r => r.Rule == o.Rule && r.Symbol == o.Symbol)));
            }
            for (var i = 0; i < series.Count; i++)
            {
                if (series[i].After is { } a && a.File == file && graph.TryGetValue(series[i].Symbol, out var fn))
                {
                    series[i] = series[i] with { Function = $"{fn.Name} ({fn.Definition}, {fn.Calls.Count} calls, {fn.Statements} statements)" };
                }
            }
        }

        // The consumers: what stops building or loading, with modpost's and the loader's lines.
        if (inputs.Modules.Count > 0)
        {
            var asChanges = series.Select(c => new ExportChange(c.Kind, c.Symbol,
                c.Before is null ? null : ToExport(c.Before, Owner(c, beforeTable), null), c.After is null ? null : ToExport(c.After, Owner(c, beforeTable), null))).ToArray();
            findings.AddRange(KernelDiff.NewlyBroken(inputs.Modules,
                Checks.Build.ModpostChecks.Table([(beforeTable.All, "kernel")], inputs.Modules), Checks.Build.ModpostChecks.Table([(afterTable.All, "kernel")], inputs.Modules), asChanges,
                new HashSet<string> { "kernel" }, new HashSet<string> { "kernel" }));
            findings.AddRange(KernelDiff.NewlyRefused(inputs.Modules, beforeTable, afterTable, inputs.Traits, inputs.Traits, asChanges));
        }

        var report = new ReviewReport(reviews, series)
        {
            LaunderingResolved = resolved,
            Tree = tree?.Root,
            Consumers = Consumers(inputs.Modules, series, findings),
        };
        return (report, findings);
    }

    private static List<ConsumerReview> Consumers(IReadOnlyList<KernelModule> modules, IReadOnlyList<ExportChangeReview> series, List<Finding> findings)
    {
        var changed = series.Select(c => c.Symbol).ToHashSet(StringComparer.Ordinal);
        return modules.OrderBy(m => m.Name, StringComparer.Ordinal).Select(m =>
        {
            var lines = findings.Where(f => f.Module == m.Name && (f.Rule == DiffRules.StopsBuilding || f.Rule == DiffRules.StopsLoading))
                .Select(f => f.Rule == DiffRules.StopsBuilding ? $"{(f.Severity == Severity.Error ? "ERROR" : "WARNING")}: modpost: {f.Message}" : f.Message).ToArray();
            var uses = m.Imports.Select(i => i.Name).Where(changed.Contains).Distinct().Order(StringComparer.Ordinal).ToArray();
            return new ConsumerReview(m.Name, m.Licenses, uses, lines.Length > 0, lines);
        }).ToList();
    }

    private static Dictionary<string, FunctionInfo> Graph(IEnumerable<SourceFunction> functions, SymbolTable table)
    {
        var graph = new Dictionary<string, FunctionInfo>(StringComparer.Ordinal);
        foreach (var f in functions)
        {
            graph.TryAdd(f.Name, f.ToFunctionInfo(table.Find(f.Name) is not null));
        }
        return graph;
    }

    private static string Body(string[] lines, SourceFunction f) =>
        string.Join('\n', lines[Math.Max(0, f.Line - 1)..Math.Min(lines.Length, f.EndLine)]);

    private static void Add(Dictionary<string, List<SourceFunction>> map, string file, SourceFunction function)
    {
        if (!map.TryGetValue(file, out var list))
        {
            map[file] = list = [];
        }
        list.RemoveAll(f => f.Name == function.Name);
        list.Add(function);
    }

    private static List<ExportState> Scan(SourceScanner scanner, string path, byte[] text, string? defaultNamespace) =>
        scanner.ScanContent(path, text, defaultNamespace).Exports.Select(e => new ExportState(e.Symbol, e.Kind, e.Namespace, path, e.Line)).ToList();

    // One side of a hunk on its own: the context and removed lines (old) or the context and added lines (new).
    private static IEnumerable<ExportState> ScanFragment(SourceScanner scanner, string path, Hunk hunk, bool old)
    {
        var lines = hunk.Lines.Where(l => l.Kind != (old ? '+' : '-')).ToArray();
        var text = Encoding.UTF8.GetBytes(string.Join('\n', lines.Select(l => l.Text)) + "\n");
        foreach (var e in scanner.ScanContent(path, text).Exports)
        {
            var line = lines[Math.Min(e.Line, lines.Length) - 1];
            yield return new ExportState(e.Symbol, e.Kind, e.Namespace, path, (old ? line.OldLine : line.NewLine) ?? 0);
        }
    }

    private static PatchSite Site(Patch patch, FilePatch file, Hunk? hunk) =>
        new(patch.Name, patch.Source, hunk?.PatchLine ?? file.PatchLine, file.Path, hunk?.Header ?? "");

    // The hunk that holds a line of the old or new file; null when no hunk does (the export is in unchanged text).
    private static PatchSite? SiteOf(Patch patch, FilePatch file, int line, bool old)
    {
        foreach (var hunk in file.Hunks)
        {
            var (start, count) = old ? (hunk.OldStart, hunk.OldCount) : (hunk.NewStart, hunk.NewCount);
            if (line >= start && line < start + Math.Max(count, 1))
            {
                return Site(patch, file, hunk);
            }
        }
        return null;
    }

    private static List<ExportChangeReview> Compare(List<(ExportState State, PatchSite Site)> before, List<(ExportState State, PatchSite Site)> after)
    {
        var oldBy = new Dictionary<string, (ExportState State, PatchSite Site)>(StringComparer.Ordinal);
        var newBy = new Dictionary<string, (ExportState State, PatchSite Site)>(StringComparer.Ordinal);
        foreach (var e in before) oldBy.TryAdd(e.State.Symbol, e);
        foreach (var e in after) newBy.TryAdd(e.State.Symbol, e);
        var changes = new List<ExportChangeReview>();
        foreach (var symbol in oldBy.Keys.Union(newBy.Keys).Order(StringComparer.Ordinal))
        {
            var o = oldBy.TryGetValue(symbol, out var ov) ? ov : default;
            var n = newBy.TryGetValue(symbol, out var nv) ? nv : default;
            changes.AddRange(Classify(symbol, o.State, n.State, n.Site ?? o.Site));
        }
        return changes;
    }

    private static IEnumerable<ExportChangeReview> Classify(string symbol, ExportState? before, ExportState? after, PatchSite? site)
    {
        if (before is null && after is null) yield break;
        if (before is null) { yield return new ExportChangeReview(DiffRules.Added, symbol, null, after, site); yield break; }
        if (after is null) { yield return new ExportChangeReview(DiffRules.Removed, symbol, before, null, site); yield break; }
        if (!before.Kind.IsGplOnly() && after.Kind.IsGplOnly()) yield return new ExportChangeReview(DiffRules.MadeGplOnly, symbol, before, after, site);
        if (before.Kind.IsGplOnly() && !after.Kind.IsGplOnly()) yield return new ExportChangeReview(DiffRules.MadePlain, symbol, before, after, site);
        if (before.Namespace != after.Namespace) yield return new ExportChangeReview(DiffRules.NamespaceChanged, symbol, before, after, site);
        // Same kind and namespace in another file or line: moved, not changed — nothing for the export table.
    }

    private static string Owner(ExportChangeReview change, SymbolTable table) => table.Find(change.Symbol)?.OwnerName ?? Export.VmlinuxName;

    private static Export ToExport(ExportState state, string owner, uint? crc) =>
        new(state.Symbol, state.Kind, state.Namespace, owner, crc, new Site(state.File, state.Line), new Site(state.File, state.Line));

    private static SymbolTable Apply(SymbolTable before, IReadOnlyList<ExportChangeReview> series)
    {
        var removed = series.Where(c => c.After is null).Select(c => c.Symbol).ToHashSet(StringComparer.Ordinal);
        var changed = series.Where(c => c.After is not null).GroupBy(c => c.Symbol).ToDictionary(g => g.Key, g => g.First().After!, StringComparer.Ordinal);
        var builder = new SymbolTableBuilder(externalBuild: true);
        foreach (var e in before.All.OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            if (removed.Contains(e.Name)) continue;
            builder.Add(changed.TryGetValue(e.Name, out var now) ? e with { Kind = now.Kind, Namespace = now.Namespace, Definition = new Site(now.File, now.Line) } : e, "kernel");
        }
        foreach (var (symbol, state) in changed.Where(p => before.Find(p.Key) is null))
        {
            builder.Add(ToExport(state, Export.VmlinuxName, null), "kernel");
        }
        return builder.Build();
    }

    private static Finding ChangeFinding(ExportChangeReview change, SymbolTable before)
    {
        var owner = Owner(change, before);
        var state = change.After ?? change.Before!;
        var known = before.Find(change.Symbol);
        var users = change.InTreeUsers is { } u ? $"in-tree users: {u.Count}{(u.Count > 0 ? " (" + string.Join(", ", u.Take(5)) + (u.Count > 5 ? ", ..." : "") + ")" : "")}" : null;
        return new Finding(change.Kind, change.Kind.DefaultSeverity, owner, change.Symbol, state.Namespace, owner,
            $"{change.Symbol}: {change.Before?.Describe() ?? "not exported"} -> {change.After?.Describe() ?? "not exported"}",
            new Evidence
            {
                Export = change.After is null ? null : ToExport(change.After, owner, known?.Crc),
                PreviousExport = change.Before is null ? null : ToExport(change.Before, owner, known?.Crc),
                Hunk = change.Site?.ToString(),
                Notes = users is null ? [] : [users],
            })
        { Location = new Site(state.File, state.Line) };
    }
}
