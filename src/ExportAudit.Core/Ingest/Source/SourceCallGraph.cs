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

    /// <summary>The functions of the files that export: where the laundering walks start and go.</summary>
    public IEnumerable<FunctionInfo> Functions => _all;

    public FunctionInfo? Helper(FunctionInfo caller, string callee) =>
        caller.Definition is { } site && _byFile.TryGetValue(site.File, out var local) && local.TryGetValue(callee, out var helper) && !helper.Exported ? helper : null;

    public bool IsUnexportedCore(FunctionInfo caller, string callee) =>
        _global.Contains(callee) && !(caller.Definition is { } site && _byFile.TryGetValue(site.File, out var local) && local.ContainsKey(callee));

    /// <summary>
    /// Sweeps each file of a scan as the scan reads it (<see cref="UseSweep"/>): the identifiers it uses, by hash, and
    /// the non-static functions a .c file defines. Hand it to <see cref="SourceScanner.Scan(string, ISourceFileVisitor?)"/>,
    /// then to <see cref="Build"/>.
    /// </summary>
    public sealed class Sweeper : ISourceFileVisitor, IDisposable
    {
        private readonly ThreadLocal<NameHashSet> _sets = new(() => new NameHashSet());
        private readonly ThreadLocal<Utf8NameTable> _names = new(() => new Utf8NameTable());
        private IReadOnlyList<string> _files = [];

        // Per file: the hashes of the names it uses, and the non-static functions of a .c file; null: not swept
        // (binary, too large or unreadable: the scan reported it).
        internal ulong[]?[] Uses { get; private set; } = [];
        internal string[]?[] Globals { get; private set; } = [];
        // The functions and calls of the files that may export, extracted from the bytes the scan read (null: swept only).
        internal IReadOnlyList<SourceFunction>?[] Functions { get; private set; } = [];
        internal IReadOnlyList<string> Files => _files;

        public void Begin(IReadOnlyList<string> files)
        {
            _files = files;
            Uses = new ulong[]?[files.Count];
            Globals = new string[]?[files.Count];
            Functions = new IReadOnlyList<SourceFunction>?[files.Count];
        }

        public void Visit(int index, ReadOnlySpan<byte> data, bool mayExport)
        {
            var file = _files[index];
            var uses = _sets.Value!;
            uses.Clear();
            var assembly = file.EndsWith(".S", StringComparison.Ordinal);
            var isC = file.EndsWith(".c", StringComparison.Ordinal);
            if (mayExport && !assembly)
            {
                // A walk may start here: its functions and calls, and its uses on the way.
                var functions = FunctionExtractor.Extract(file, data, null, null, usedHashes: uses, names: _names.Value);
                Functions[index] = functions;
                Globals[index] = isC ? functions.Where(f => !f.IsStatic).Select(f => f.Name).ToArray() : null;
            }
            else
            {
                var globals = isC ? new List<string>() : null;
                UseSweep.Run(data, assembly, uses, globals, _names.Value);
                Globals[index] = globals?.ToArray();
            }
            Uses[index] = uses.ToArray();
        }

        public void Dispose()
        {
            _sets.Dispose();
            _names.Dispose();
        }
    }

    /// <summary>
    /// The graph from a scan and its sweep: the functions and calls of the files that export (extracted during the
    /// scan; an exporting file the scan did not expect to export is read again), where the laundering walks start and
    /// go; and from every file, which exports it uses and which non-static functions it defines.
    /// </summary>
    public static SourceCallGraph Build(SourceScan scan, Sweeper sweep, int jobs, InputErrors errors)
    {
        var exportNames = scan.Exports.Select(e => e.Symbol).ToHashSet(StringComparer.Ordinal);
        var exportedIn = scan.Exports.GroupBy(e => e.File).ToDictionary(g => g.Key, g => g.Select(e => e.Symbol).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        var files = sweep.Files;
        var exporting = Enumerable.Range(0, files.Count).Where(i => exportedIn.ContainsKey(files[i]) && sweep.Uses[i] is not null).ToArray();
        var functions = new IReadOnlyList<SourceFunction>[exporting.Length];
        using var names = new ThreadLocal<Utf8NameTable>(() => new Utf8NameTable());
        Workers.For(exporting.Length, jobs, k =>
        {
            var file = files[exporting[k]];
            if (sweep.Functions[exporting[k]] is { } extracted)
            {
                functions[k] = extracted;
                return;
            }
            try
            {
                using var bytes = FileBytes.Open(Path.Combine(scan.Root, file), SourceScanner.MaxFileBytes);
                // No C functions in assembly: only its uses count, and the sweep has them.
                functions[k] = file.EndsWith(".S", StringComparison.Ordinal) ? [] : FunctionExtractor.Extract(file, bytes.Span, null, null, names: names.Value);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InputException)
            {
                errors.Error(file, null, e.Message); // read a moment ago by the scan: changed since
                functions[k] = [];
            }
        });

        var byFile = new Dictionary<string, Dictionary<string, FunctionInfo>>(StringComparer.Ordinal);
        var all = new List<FunctionInfo>();
        for (var k = 0; k < exporting.Length; k++)
        {
            var file = files[exporting[k]];
            var exportsHere = exportedIn[file];
            var local = new Dictionary<string, FunctionInfo>(StringComparer.Ordinal);
            foreach (var f in functions[k])
            {
                var info = f.ToFunctionInfo(exportsHere.Contains(f.Name));
                if (local.TryAdd(f.Name, info)) // #ifdef alternatives: the first definition stands for the name
                {
                    all.Add(info);
                }
            }
            if (local.Count > 0)
            {
                byFile[file] = local;
            }
        }
        // EA3002's "not exported at all": every non-static function of a .c file (the extractor's, as the sweep finds them).
        var global = new HashSet<string>(StringComparer.Ordinal);
        foreach (var list in sweep.Globals)
        {
            foreach (var name in list ?? [])
            {
                global.Add(name);
            }
        }
        // Each file's uses of the exports, matched by hash (two export names with one hash would both count as used).
        // A bit per hash's top 20 bits first: 7.4 million (file, name) uses in 6.1, 5 % of them of an export (one thread,
        // in memory: 49-55 ms against 191-198 ms for the dictionary alone).
        var byHash = new Dictionary<ulong, List<string>>();
        var filter = new ulong[(1 << 20) / 64];
        foreach (var name in exportNames)
        {
            var hash = NameHashSet.Hash(name);
            if (!byHash.TryGetValue(hash, out var same)) byHash[hash] = same = [];
            same.Add(name);
            filter[hash >> 50] |= 1UL << (int)(hash >> 44);
        }
        var usedIn = new List<string>?[files.Count];
        Workers.For(files.Count, jobs, i =>
        {
            foreach (var hash in sweep.Uses[i] ?? [])
            {
                if ((filter[hash >> 50] & 1UL << (int)(hash >> 44)) != 0 && byHash.TryGetValue(hash, out var same)) (usedIn[i] ??= []).AddRange(same);
            }
        });
        var users = exportNames.ToDictionary(n => n, _ => new List<string>(), StringComparer.Ordinal);
        for (var i = 0; i < files.Count; i++)
        {
            var exportsHere = exportedIn.GetValueOrDefault(files[i]);
            foreach (var name in usedIn[i] ?? [])
            {
                if (exportsHere?.Contains(name) != true)
                {
                    users[name].Add(files[i]);
                }
            }
        }
        return new SourceCallGraph(byFile, global, all)
        {
            Users = users.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value, StringComparer.Ordinal),
        };
    }
}
