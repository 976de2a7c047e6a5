using ExportAudit.Diagnostics;
using ExportAudit.Model;

namespace ExportAudit.Ingest.Source;

/// <summary>
/// A source tree's call graph: every function definition of its .c and .h files with the names it calls, as
/// <see cref="FunctionExtractor"/> sees them. A call goes into a helper of the caller's own file (static or
/// not, when not exported); a call to a non-static function defined in another file that is not exported is a
/// call into a core function not exported to modules (EA3002).
/// </summary>
public sealed class SourceCallGraph : ICallGraph
{
    private readonly Dictionary<string, Dictionary<string, FunctionInfo>> _byFile;
    private readonly HashSet<string> _global;
    private readonly List<FunctionInfo> _all;

    private SourceCallGraph(Dictionary<string, Dictionary<string, FunctionInfo>> byFile, HashSet<string> global, List<FunctionInfo> all)
    {
        _byFile = byFile;
        _global = global;
        _all = all;
    }

    /// <summary>Files other than the exporting ones that use each export inside braces (calls, function pointers).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Users { get; private init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Function definitions found in the tree.</summary>
    public int FunctionCount { get; private init; }

    /// <summary>The functions of the files that export: where the laundering walks start and go.</summary>
    public IEnumerable<FunctionInfo> Functions => _all;

    public FunctionInfo? Helper(FunctionInfo caller, string callee) =>
        caller.Definition is { } site && _byFile.TryGetValue(site.File, out var local) && local.TryGetValue(callee, out var helper) && !helper.Exported ? helper : null;

    public bool IsUnexportedCore(FunctionInfo caller, string callee) =>
        _global.Contains(callee) && !(caller.Definition is { } site && _byFile.TryGetValue(site.File, out var local) && local.ContainsKey(callee));

    /// <summary>Reads every .c and .h file of <paramref name="files"/> once (parallel), extracting functions and the uses of the scan's exports.</summary>
    public static SourceCallGraph Build(string root, IReadOnlyList<string> files, SourceScan scan, int jobs, InputErrors errors, Action<int, int>? progress = null)
    {
        var exportNames = scan.Exports.Select(e => e.Symbol).ToHashSet(StringComparer.Ordinal);
        var watch = new Utf8NameSet(exportNames);
        var exportedIn = scan.Exports.GroupBy(e => e.File).ToDictionary(g => g.Key, g => g.Select(e => e.Symbol).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        var sources = files.ToArray(); // .c, .h and .S: assembly calls exports too
        var functions = new IReadOnlyList<SourceFunction>?[sources.Length];
        var used = new HashSet<string>?[sources.Length];
        var done = 0;
        using var names = new ThreadLocal<Utf8NameTable>(() => new Utf8NameTable());
        Workers.For(sources.Length, jobs, i =>
        {
            try
            {
                using var bytes = FileBytes.Open(Path.Combine(root, sources[i]), SourceScanner.MaxFileBytes);
                var data = bytes.Span;
                if (data[..Math.Min(data.Length, 8192)].IndexOf((byte)0) < 0) // binary files: the export scan reported them
                {
                    var uses = new HashSet<string>(StringComparer.Ordinal);
                    var assembly = sources[i].EndsWith(".S", StringComparison.Ordinal);
                    // Calls matter only where a walk starts or goes: the exporting files (their helpers are theirs).
                    functions[i] = FunctionExtractor.Extract(sources[i], data, watch, uses, assembly, withCalls: exportedIn.ContainsKey(sources[i]), names: names.Value);
                    if (assembly) functions[i] = []; // no C functions in assembly; only its uses count
                    used[i] = uses;
                }
            }
            catch (InputException)
            {
                // Too large: the export scan reported it already.
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.Error(sources[i], null, e.Message);
            }
            progress?.Invoke(Interlocked.Increment(ref done), sources.Length);
        });

        var byFile = new Dictionary<string, Dictionary<string, FunctionInfo>>(StringComparer.Ordinal);
        var global = new HashSet<string>(StringComparer.Ordinal);
        var all = new List<FunctionInfo>();
        var count = 0;
        var users = exportNames.ToDictionary(n => n, _ => new List<string>(), StringComparer.Ordinal);
        for (var i = 0; i < sources.Length; i++)
        {
            var file = sources[i];
            var exportsHere = exportedIn.GetValueOrDefault(file);
            var local = new Dictionary<string, FunctionInfo>(StringComparer.Ordinal);
            count += functions[i]?.Count ?? 0;
            if (exportsHere is null)
            {
                // No walk starts or goes here: only its global functions count (EA3002's "not exported at all").
                foreach (var f in functions[i] ?? [])
                {
                    if (!f.IsStatic && file.EndsWith(".c", StringComparison.Ordinal)) global.Add(f.Name);
                }
            }
            foreach (var f in exportsHere is null ? [] : functions[i] ?? [])
            {
                var info = f.ToFunctionInfo(exportsHere?.Contains(f.Name) == true);
                if (local.TryAdd(f.Name, info)) // #ifdef alternatives: the first definition stands for the name
                {
                    all.Add(info);
                }
                if (!f.IsStatic && file.EndsWith(".c", StringComparison.Ordinal))
                {
                    global.Add(f.Name);
                }
            }
            if (local.Count > 0)
            {
                byFile[file] = local;
            }
            foreach (var name in used[i] ?? [])
            {
                if (exportsHere?.Contains(name) != true)
                {
                    users[name].Add(file);
                }
            }
        }
        return new SourceCallGraph(byFile, global, all)
        {
            FunctionCount = count,
            Users = users.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value, StringComparer.Ordinal),
        };
    }
}
