using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using ExportAudit.Diagnostics;
using ExportAudit.Model;

namespace ExportAudit.Ingest.Source;

/// <summary>
/// Finds every export, MODULE_LICENSE and MODULE_IMPORT_NS of a kernel tree. Each .c, .h and .S file is read
/// once; only files that mention an export or module macro are tokenized (the C tokenizer, not regexes), so
/// comments, strings and #if 0 regions never yield exports. Project-local #define wrappers whose body makes an
/// export are expanded (parameters, ## pasting), wherever in the tree they are defined, and the macro family of
/// export.h (tracepoints, static calls, per-cpu, indirect-callable, for-modules) is known.
/// DEFAULT_SYMBOL_NAMESPACE comes from a #define in the file or ccflags-y / subdir-ccflags-y / CFLAGS_obj.o.
/// </summary>
public sealed class SourceScanner(InputErrors errors, SourceScanOptions options)
{
    /// <summary>Largest source file read (the largest .c of 6.12 is ~30 MB, generated register headers ~100 MB): a bound for a gigabyte file in a tree.</summary>
    public const long MaxFileBytes = 256L << 20;


    /// <summary>A macro invocation outside preprocessor lines: its name, argument token texts, line and branch.</summary>
    private sealed record Invocation(string Name, IReadOnlyList<IReadOnlyList<string>> Args, int Line, string? Condition, string? DefaultNamespace);

    private sealed record Define(string Name, IReadOnlyList<string>? Params, IReadOnlyList<string> Body, string File, bool? Active);

    /// <summary>An #include: its line, the name between the quotes or angle brackets, the #if condition and default
    /// namespace there, and this file's wrappers then defined (not #undef'd since): an X-macro header invoked with them
    /// exports in this file.</summary>
    private sealed record Include(int Line, bool Quoted, string Path, string? Condition, string? DefaultNamespace, Define[] Live);

    /// <param name="Includes">Its #includes while it had wrappers defined (an X-macro header's includers).</param>
    private sealed record FileScan(string File, List<Invocation> Invocations, List<Define> Defines, List<Include> Includes);

    /// <summary>What a file's #define and #undef lines did, as far as the scan follows them.</summary>
    private sealed class FileMacros
    {
        /// <summary>"#define a b" not in a branch known false: applied to the file's own export arguments.</summary>
        public Dictionary<string, string> Renames { get; } = new(StringComparer.Ordinal);
        /// <summary>Wrapper names #undef'd since their last definition.</summary>
        public HashSet<string> UndefinedWrappers { get; } = new(StringComparer.Ordinal);
    }

    public SourceScan Scan(string root) => Scan(root, null);

    /// <param name="visitor">Shown every file's bytes while they are read (the call graph's sweep): each file is then still read once.</param>
    public SourceScan Scan(string root, ISourceFileVisitor? visitor)
    {
        root = root.TrimEnd('/');
        var all = TreeWalk.Files(root, name => IsSourceName(name) || IsMakefileName(name), options.Jobs);
        var fullRoot = Path.GetFullPath(root).TrimEnd('/');
        // Loops, not LINQ over (path, relative) tuples: generic code over value types the JIT would compile at start-up.
        var fileList = new List<string>(all.Length);
        var relativeList = new List<string>(all.Length);
        var makefiles = new List<string>();
        foreach (var path in all)
        {
            if (IsMakefile(path))
            {
                makefiles.Add(path);
            }
            else if (IsSource(path) && Relative(fullRoot, root, path) is var relative && InArch(relative))
            {
                fileList.Add(path);
                relativeList.Add(relative);
            }
        }
        string[] files = [.. fileList];
        string[] relatives = [.. relativeList];
        var makefileNamespaces = ReadMakefileNamespaces(root, [.. makefiles], options.Jobs);
        visitor?.Begin(relatives);
        var scans = new FileScan?[files.Length];
        var tokenized = 0;
        var done = 0;
        // Headers first: the wrappers they define (DEFINE_BPF_DISPATCHER, EXPORT_*_DEV_PM_OPS, ...) are then
        // known when the sources that use them are tokenized, so each file is still read once.
        var isHeader = new bool[files.Length];
        for (var i = 0; i < files.Length; i++)
        {
            isHeader[i] = files[i].EndsWith(".h", StringComparison.Ordinal) || files[i].EndsWith(".h_shipped", StringComparison.Ordinal);
        }
        var wrappers = new Dictionary<string, List<Define>>(StringComparer.Ordinal);
        foreach (var headersPhase in new[] { true, false })
        {
            var names = new Wanted(wrappers.Keys, wrappers.Where(p => p.Value.Exists(d => d.Params is null)).Select(p => p.Key));
            Workers.For(files.Length, options.Jobs, i =>
            {
                if (isHeader[i] != headersPhase)
                {
                    return;
                }
                scans[i] = ScanFile(i, files[i], relatives[i], makefileNamespaces, names, visitor, ref tokenized);
                options.Progress?.Invoke(Interlocked.Increment(ref done), files.Length);
            });
            // Wrappers: #defines whose body makes an export, from anywhere in the tree.
            for (var i = 0; i < files.Length; i++)
            {
                if (isHeader[i] != headersPhase || scans[i] is null)
                {
                    continue;
                }
                foreach (var define in scans[i]!.Defines)
                {
                    if (!wrappers.TryGetValue(define.Name, out var list))
                    {
                        wrappers[define.Name] = list = [];
                    }
                    list.Add(define);
                }
            }
        }

        // Each file's invocations expanded on the workers (the wrappers are all known now, and only read), its exports
        // in line and symbol order: the files are in ordinal path order, so the concatenation is the report's order.
        _root = root;
        _makefileNamespaces = makefileNamespaces;
        _files = new Lazy<HashSet<string>>(() => new HashSet<string>(relatives, StringComparer.Ordinal));
        var fileExports = new SourceExport[]?[scans.Length];
        var fileLicenses = new SourceLicense?[scans.Length];
        Workers.For(scans.Length, options.Jobs, i =>
        {
            if (scans[i] is { } scan)
            {
                (fileExports[i], fileLicenses[i]) = ExpandFile(scan, wrappers);
            }
        });
        // With a .config, Kbuild says where each file is built: vmlinux or which module.
        var owners = options.Config is { } config ? KbuildOwners.Read(root, config, options.Arch ?? KbuildOwners.ArchOf(config)) : null;
        var sorted = fileExports.Where(e => e is not null).SelectMany(e => e!)
            .Select(e => owners is null ? e : e with { Owner = owners.OwnerOf(e.File) })
            .ToArray();
        var licenses = fileLicenses.Where(l => l is not null).Select(l => l!).ToArray();
        return new SourceScan(root, sorted, licenses, files.Length, tokenized)
        {
            Owners = owners,
            Files = relatives,
        };
    }

    // A file's exports (distinct, in line and then symbol order) and its MODULE_LICENSE and MODULE_IMPORT_NS values.
    private (SourceExport[] Exports, SourceLicense? License) ExpandFile(FileScan scan, Dictionary<string, List<Define>> wrappers)
    {
        var exports = new List<SourceExport>();
        var fileLicenses = new List<string>();
        var fileNamespaces = new List<string>();
        var licenseLine = 0;
        foreach (var invocation in scan.Invocations)
        {
            switch (invocation.Name)
            {
                case "MODULE_LICENSE":
                    if (invocation.Args is [[var text]] && text.StartsWith('"'))
                    {
                        fileLicenses.Add(Unquote(text));
                        licenseLine = licenseLine == 0 ? invocation.Line : licenseLine;
                    }
                    continue;
                case "MODULE_IMPORT_NS":
                    if (invocation.Args is [[var ns]])
                    {
                        fileNamespaces.Add(Unquote(ns));
                        licenseLine = licenseLine == 0 ? invocation.Line : licenseLine;
                    }
                    continue;
            }
            Expand(scan.File, invocation.Name, invocation.Args, invocation, wrappers, exports, depth: 0);
        }
        foreach (var include in scan.Includes)
        {
            if (include.Live.Length > 0)
            {
                ExpandXMacroHeader(scan.File, include, wrappers, exports);
            }
        }
        var license = fileLicenses.Count > 0 || fileNamespaces.Count > 0 ? new SourceLicense(scan.File, licenseLine, fileLicenses, fileNamespaces) : null;
        return (Ordered(exports), license);
    }

    // The tree being scanned, its files and its Makefiles' namespaces, for the X-macro headers a file includes.
    private string _root = "";
    private Lazy<HashSet<string>> _files = new(() => []);
    private IReadOnlyDictionary<string, string> _makefileNamespaces = new Dictionary<string, string>();

    // An X-macro header: the file defines a wrapper and includes a header that invokes it once per item
    // (kernel/cgroup/cgroup.c's SUBSYS with linux/cgroup_subsys.h, arch/x86/lib/retpoline.S's GEN with
    // asm/GEN-for-each-reg.h). Those invocations export in the file, at the #include's line, with the definition then
    // in effect and under both the #include's and the header's own #if conditions.
    private void ExpandXMacroHeader(string file, Include include, Dictionary<string, List<Define>> wrappers, List<SourceExport> exports)
    {
        if (ResolveInclude(file, include) is not { } header)
        {
            return;
        }
        var live = new Dictionary<string, List<Define>>(StringComparer.Ordinal);
        foreach (var define in include.Live)
        {
            live[define.Name] = [define];
        }
        if (ReadHeader(header, new Wanted(live.Keys, include.Live.Where(d => d.Params is null).Select(d => d.Name))) is not { } read)
        {
            return;
        }
        foreach (var invocation in read.Invocations)
        {
            if (!live.ContainsKey(invocation.Name))
            {
                continue;
            }
            var condition = include.Condition is null ? invocation.Condition
                : invocation.Condition is null ? include.Condition : include.Condition + " && " + invocation.Condition;
            var at = new Invocation(invocation.Name, invocation.Args, include.Line, condition, include.DefaultNamespace);
            var first = exports.Count;
            Expand(file, invocation.Name, invocation.Args, at, wrappers, exports, depth: 0, live);
            for (var i = first; i < exports.Count; i++)
            {
                exports[i] = exports[i] with { XMacroHeader = header };
            }
        }
    }

    // A header the scan has read once already, read again for its invocations of an includer's wrappers. Null when it
    // cannot be read (its own scan reported that), is no text or names none of them.
    private FileScan? ReadHeader(string relative, Wanted wanted)
    {
        try
        {
            using var bytes = FileBytes.Open(Path.Combine(_root, relative), MaxFileBytes);
            var data = bytes.Span;
            if (data[..Math.Min(data.Length, 8192)].IndexOf((byte)0) >= 0)
            {
                return null;
            }
            return Candidates(data, wanted) is { } candidates ? Tokenize(relative, data, _makefileNamespaces, wanted, candidates, reportProblems: false) : null;
        }
        catch (Exception e) when (e is InputException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // Where an #include finds its header in the tree, relative to the root: a quoted name beside the includer first;
    // then kbuild's search path (KernelHeaders.IncludeDirectories; ARCH the includer's arch/ directory, else --arch or the
    // .config's; without one, include and include/uapi). Null when none of them has it.
    private string? ResolveInclude(string includer, Include include)
    {
        var slash = includer.LastIndexOf('/');
        if (include.Quoted && Existing(slash < 0 ? include.Path : includer[..slash] + "/" + include.Path) is { } beside)
        {
            return beside;
        }
        var arch = includer.StartsWith("arch/", StringComparison.Ordinal) && includer.IndexOf('/', 5) is var end and > 5 ? includer[5..end]
            : options.Arch ?? (options.Config is { } config ? KbuildOwners.ArchOf(config) : null);
        string[] dirs = arch is null ? ["include", "include/uapi"] : KernelHeaders.IncludeDirectories(arch);
        foreach (var dir in dirs)
        {
            if (Existing(dir + "/" + include.Path) is { } found)
            {
                return found;
            }
        }
        return null;
    }

    // The path with its . and .. steps taken, if it stays in the tree and is a file there.
    private string? Existing(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part is "" or ".") continue;
            if (part == "..")
            {
                if (parts.Count == 0) return null;
                parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(part);
        }
        var relative = string.Join('/', parts);
        return _files.Value.Contains(relative) ? relative : null;
    }

    // Distinct by symbol, kind, namespace, line and condition, the first of each kept, in line and then symbol order;
    // equal lines and symbols stay in invocation order. (A sort of indices: DistinctBy and OrderBy over a tuple key
    // were generic code the JIT compiled at start-up, and most files have one or two exports.)
    private static SourceExport[] Ordered(List<SourceExport> exports)
    {
        if (exports.Count <= 1)
        {
            return [.. exports];
        }
        var index = new int[exports.Count];
        for (var i = 0; i < index.Length; i++)
        {
            index[i] = i;
        }
        Array.Sort(index, (a, b) =>
        {
            var order = exports[a].Line.CompareTo(exports[b].Line);
            if (order == 0) order = string.CompareOrdinal(exports[a].Symbol, exports[b].Symbol);
            return order != 0 ? order : a.CompareTo(b);
        });
        var result = new List<SourceExport>(index.Length);
        foreach (var i in index)
        {
            var e = exports[i];
            // A duplicate has the same line and symbol: it sorts right after the first of its kind.
            var duplicate = false;
            for (var k = result.Count - 1; k >= 0 && result[k].Line == e.Line && result[k].Symbol == e.Symbol && !duplicate; k--)
            {
                duplicate = result[k].Kind == e.Kind && result[k].Namespace == e.Namespace && result[k].Condition == e.Condition;
            }
            if (!duplicate)
            {
                result.Add(e);
            }
        }
        return [.. result];
    }

    /// <summary>One file on its own (a patch's new version, a fuzz input): its exports and licenses, local wrappers only.</summary>
    /// <param name="defaultNamespace">DEFAULT_SYMBOL_NAMESPACE from the file's Makefiles (<see cref="MakefileNamespace"/>).</param>
    public SourceScan ScanContent(string file, ReadOnlySpan<byte> data, string? defaultNamespace = null)
    {
        var makefile = defaultNamespace is null ? new Dictionary<string, string>() : new Dictionary<string, string> { [file] = defaultNamespace };
        var none = new Wanted([]);
        var scan = Tokenize(file, data, makefile, none, Candidates(data, none) ?? []);
        var wrappers = scan.Defines.GroupBy(d => d.Name).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var exports = new List<SourceExport>();
        var licenses = new List<string>();
        var namespaces = new List<string>();
        foreach (var invocation in scan.Invocations)
        {
            if (invocation.Name == "MODULE_LICENSE" && invocation.Args is [[var text]] && text.StartsWith('"')) licenses.Add(Unquote(text));
            else if (invocation.Name == "MODULE_IMPORT_NS" && invocation.Args is [[var ns]]) namespaces.Add(Unquote(ns));
            else Expand(file, invocation.Name, invocation.Args, invocation, wrappers, exports, depth: 0);
        }
        return new SourceScan(file, exports, licenses.Count + namespaces.Count > 0 ? [new SourceLicense(file, 0, licenses, namespaces)] : [], 1, 1);
    }

    // The macro family of include/linux/export.h and friends, by what each one exports.
    private static bool TryBase(string macro, IReadOnlyList<IReadOnlyList<string>> args, string? defaultNamespace, out (string Symbol, ExportKind Kind, string? Ns)[] made)
    {
        string Arg(int i) => i < args.Count ? string.Concat(args[i]) : "";
        made = macro switch
        {
            "EXPORT_SYMBOL" => [(Arg(0), ExportKind.Plain, defaultNamespace)],
            "EXPORT_SYMBOL_GPL" => [(Arg(0), ExportKind.GplOnly, defaultNamespace)],
            "EXPORT_SYMBOL_NS" => [(Arg(0), ExportKind.Plain, Unquote(Arg(1)))],
            "EXPORT_SYMBOL_NS_GPL" => [(Arg(0), ExportKind.GplOnly, Unquote(Arg(1)))],
            "EXPORT_SYMBOL_GPL_FOR_MODULES" => [(Arg(0), ExportKind.GplOnly, "module:" + Unquote(Arg(1)))],
            "EXPORT_TRACEPOINT_SYMBOL" or "EXPORT_TRACEPOINT_SYMBOL_GPL" =>
            [
                ("__tracepoint_" + Arg(0), Kind(macro), null), ("__traceiter_" + Arg(0), Kind(macro), null),
                ("__SCK__tp_func_" + Arg(0), Kind(macro), null), ("__SCT__tp_func_" + Arg(0), Kind(macro), null),
            ],
            "EXPORT_STATIC_CALL" or "EXPORT_STATIC_CALL_GPL" => [("__SCK__" + Arg(0), Kind(macro), null), ("__SCT__" + Arg(0), Kind(macro), null)],
            "EXPORT_STATIC_CALL_TRAMP" or "EXPORT_STATIC_CALL_TRAMP_GPL" => [("__SCT__" + Arg(0), Kind(macro), null)],
            "EXPORT_PER_CPU_SYMBOL" or "EXPORT_PER_CPU_SYMBOL_GPL" => [(Arg(0), Kind(macro), defaultNamespace)],
            "EXPORT_UNUSED_SYMBOL" => [(Arg(0), ExportKind.Unused, defaultNamespace)],
            "EXPORT_UNUSED_SYMBOL_GPL" => [(Arg(0), ExportKind.UnusedGpl, defaultNamespace)],
            "EXPORT_SYMBOL_GPL_FUTURE" => [(Arg(0), ExportKind.GplFuture, defaultNamespace)],
            // export.h's inner forms, reached through wrappers such as pm.h's EXPORT_*_DEV_PM_OPS.
            "_EXPORT_SYMBOL" => [(Arg(0), IsGplSection(Arg(1)) ? ExportKind.GplOnly : ExportKind.Plain, defaultNamespace)],
            "__EXPORT_SYMBOL" => [(Arg(0), IsGplSection(Arg(1)) ? ExportKind.GplOnly : ExportKind.Plain, Unquote(Arg(2)) is { Length: > 0 } ns ? ns : null)],
            _ => [],
        };
        var allNames = true;
        foreach (var m in made)
        {
            allNames &= IsIdentifier(m.Symbol);
        }
        if (!allNames)
        {
            made = [.. made.Where(m => IsIdentifier(m.Symbol))]; // rare: a name that is no identifier (a macro argument left unexpanded)
        }
        return made.Length > 0 || IsBase(macro);

        static ExportKind Kind(string macro) => macro.EndsWith("_GPL", StringComparison.Ordinal) ? ExportKind.GplOnly : ExportKind.Plain;
    }

    // What the visitor is told of a file: Any as soon as one invocation may export plainly (or be a wrapper).
    private static SourceFileExports MayExport(List<Invocation> invocations)
    {
        var exports = SourceFileExports.None;
        foreach (var invocation in invocations)
        {
            if (invocation.Name is "MODULE_LICENSE" or "MODULE_IMPORT_NS") continue;
            if (!IsGplOnlyBase(invocation.Name)) return SourceFileExports.Any;
            exports = SourceFileExports.GplOnly;
        }
        return exports;
    }

    // export.h's macros whose every export is GPL-only (a tree that redefined one would be caught by the call graph,
    // which judges a file by the exports finally made, not by this).
    private static bool IsGplOnlyBase(string macro) => macro is "EXPORT_SYMBOL_GPL" or "EXPORT_SYMBOL_NS_GPL" or "EXPORT_SYMBOL_GPL_FOR_MODULES"
        or "EXPORT_TRACEPOINT_SYMBOL_GPL" or "EXPORT_STATIC_CALL_GPL" or "EXPORT_STATIC_CALL_TRAMP_GPL" or "EXPORT_PER_CPU_SYMBOL_GPL"
        or "EXPORT_UNUSED_SYMBOL_GPL";

    // The license argument of export.h's inner macros: "_gpl" up to 6.4, "GPL" from 6.5.
    private static bool IsGplSection(string arg) => Unquote(arg) is "_gpl" or "GPL";

    private static bool IsBase(string macro) => macro is "EXPORT_SYMBOL" or "EXPORT_SYMBOL_GPL" or "EXPORT_SYMBOL_NS" or "EXPORT_SYMBOL_NS_GPL"
        or "EXPORT_SYMBOL_GPL_FOR_MODULES" or "EXPORT_TRACEPOINT_SYMBOL" or "EXPORT_TRACEPOINT_SYMBOL_GPL" or "EXPORT_STATIC_CALL"
        or "EXPORT_STATIC_CALL_GPL" or "EXPORT_STATIC_CALL_TRAMP" or "EXPORT_STATIC_CALL_TRAMP_GPL" or "EXPORT_PER_CPU_SYMBOL"
        or "EXPORT_PER_CPU_SYMBOL_GPL" or "EXPORT_UNUSED_SYMBOL" or "EXPORT_UNUSED_SYMBOL_GPL" or "EXPORT_SYMBOL_GPL_FUTURE"
        or "_EXPORT_SYMBOL" or "__EXPORT_SYMBOL";

    /// <param name="overrides">The definitions in effect where an X-macro header is included: they alone count for their names.</param>
    private void Expand(string file, string name, IReadOnlyList<IReadOnlyList<string>> args, Invocation at,
        Dictionary<string, List<Define>> wrappers, List<SourceExport> exports, int depth, Dictionary<string, List<Define>>? overrides = null)
    {
        if (TryBase(name, args, at.DefaultNamespace, out var made))
        {
            foreach (var (symbol, kind, ns) in made)
            {
                exports.Add(new SourceExport(symbol, kind, string.IsNullOrEmpty(ns) ? null : ns, file, at.Line, name, at.Condition));
            }
            return;
        }
        if (depth > 8)
        {
            return;
        }
        if (overrides is not null && overrides.TryGetValue(name, out var live))
        {
            foreach (var define in live.Where(d => args.Count > 0 || d.Params is null))
            {
                foreach (var (inner, innerArgs) in Invocations(Substitute(define, args)))
                {
                    Expand(file, inner, innerArgs, at, wrappers, exports, depth + 1, overrides);
                }
            }
            return;
        }
        if (!wrappers.TryGetValue(name, out var candidates))
        {
            return;
        }
        // The definition in the same file wins; else every active (or unknown) definition in the tree. A bare name
        // (no arguments, not even empty ones) invokes only a definition without parameters, as in C.
        var bare = args.Count == 0;
        var defines = candidates.Where(d => d.File == file && (!bare || d.Params is null)).ToArray();
        if (defines.Length == 0)
        {
            defines = candidates.Where(d => d.Active != false && (!bare || d.Params is null)).ToArray();
        }
        foreach (var define in defines.DistinctBy(d => string.Join(" ", d.Body)))
        {
            var body = Substitute(define, args);
            foreach (var (inner, innerArgs) in Invocations(body))
            {
                Expand(file, inner, innerArgs, at, wrappers, exports, depth + 1, overrides);
            }
        }
    }

    // Parameter substitution and ## pasting over token texts.
    private static List<string> Substitute(Define define, IReadOnlyList<IReadOnlyList<string>> args)
    {
        var result = new List<string>();
        var parameters = define.Params ?? [];
        for (var i = 0; i < define.Body.Count; i++)
        {
            var token = define.Body[i];
            if (token == "#" && i + 1 < define.Body.Count && define.Body[i + 1] == "#")
            {
                result.Add("##");
                i++;
                continue;
            }
            if (token == "#" && i + 1 < define.Body.Count && IndexOf(parameters, define.Body[i + 1]) is var p and >= 0)
            {
                result.Add("\"" + (p < args.Count ? string.Concat(args[p]) : "") + "\""); // #param: stringified
                i++;
                continue;
            }
            var index = IndexOf(parameters, token);
            if (index >= 0)
            {
                result.AddRange(index < args.Count ? args[index] : []);
            }
            else if (token == "__VA_ARGS__" && parameters.Count > 0 && parameters[^1] == "...")
            {
                for (var a = parameters.Count - 1; a < args.Count; a++)
                {
                    if (a > parameters.Count - 1) result.Add(",");
                    result.AddRange(args[a]);
                }
            }
            else
            {
                result.Add(token);
            }
        }
        for (var i = result.Count - 1; i >= 0; i--)
        {
            if (result[i] == "##" && i > 0 && i + 1 < result.Count)
            {
                result[i - 1] += result[i + 1];
                result.RemoveRange(i, 2);
            }
            else if (result[i] == "##")
            {
                result.RemoveAt(i);
            }
        }
        return result;

        static int IndexOf(IReadOnlyList<string> list, string value)
        {
            for (var k = 0; k < list.Count; k++)
            {
                if (list[k] == value) return k;
            }
            return -1;
        }
    }

    // NAME ( args ) sequences in a token list.
    private static IEnumerable<(string Name, IReadOnlyList<IReadOnlyList<string>> Args)> Invocations(List<string> tokens)
    {
        for (var i = 0; i + 1 < tokens.Count; i++)
        {
            if (!IsIdentifier(tokens[i]) || tokens[i + 1] != "(")
            {
                continue;
            }
            var args = new List<IReadOnlyList<string>>();
            var current = new List<string>();
            var depth = 0;
            var j = i + 1;
            for (; j < tokens.Count; j++)
            {
                var t = tokens[j];
                if (t == "(") { if (depth++ > 0) current.Add(t); continue; }
                if (t == ")") { if (--depth == 0) break; current.Add(t); continue; }
                if (t == "," && depth == 1) { args.Add(current); current = []; continue; }
                current.Add(t);
            }
            if (depth != 0)
            {
                yield break;
            }
            args.Add(current);
            yield return (tokens[i], args);
        }
    }

    private FileScan? ScanFile(int index, string path, string relative, IReadOnlyDictionary<string, string> makefileNamespaces, Wanted wanted,
        ISourceFileVisitor? visitor, ref int tokenized)
    {
        try
        {
            using var bytes = FileBytes.Open(path, MaxFileBytes);
            var data = bytes.Span;
            var nul = data[..Math.Min(data.Length, 8192)].IndexOf((byte)0);
            if (nul >= 0)
            {
                errors.Add(new InputError(relative, null, nul, "binary data (a NUL byte), not C or assembly source; skipped"));
                return null;
            }
            // A file is tokenized only when it names EXPORT_*, MODULE_LICENSE, MODULE_IMPORT_NS or a wrapper (a quarter of a tree).
            if (Candidates(data, wanted) is not { } candidates)
            {
                visitor?.Visit(index, data, SourceFileExports.None);
                return null;
            }
            Interlocked.Increment(ref tokenized);
            var scan = Tokenize(relative, data, makefileNamespaces, wanted, candidates);
            // Its exports are known once every wrapper is: any invocation but the two module macros may make one.
            visitor?.Visit(index, data, MayExport(scan.Invocations));
            return scan;
        }
        catch (InputException e)
        {
            errors.Add(e.Error with { Path = relative });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            errors.Error(relative, null, e.Message);
        }
        return null;
    }

    private sealed class Branch
    {
        public bool? Value;      // this branch's own condition
        public bool AnyTrue;     // an earlier branch of this #if was true
        public bool? AnyUnknown; // an earlier branch was unknown
        public string Text = "";
    }

    /// <summary>The names a file is searched for before it is tokenized: EXPORT and MODULE_, and the wrappers the
    /// headers define without those in their names (Debian's 6.1: 7 names; a file may export through nothing else),
    /// all in one pass over every file (<see cref="NeedleSet"/>).</summary>
    private sealed class Wanted
    {
        public Wanted(IEnumerable<string> wrapperNames, IEnumerable<string>? objectLike = null)
        {
            Wrappers = new HashSet<string>(wrapperNames, StringComparer.Ordinal);
            Lookup = Wrappers.GetAlternateLookup<ReadOnlySpan<char>>();
            ObjectLike = new Utf8NameSet(objectLike ?? []);
            Names = new NeedleSet([.. Marks, .. Wrappers.Where(n => !n.Contains("EXPORT", StringComparison.Ordinal) && !n.StartsWith("MODULE_", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal).Select(n => Encoding.ASCII.GetBytes(n))]);
        }

        public HashSet<string> Wrappers { get; }
        public HashSet<string>.AlternateLookup<ReadOnlySpan<char>> Lookup { get; }
        /// <summary>The wrappers with an object-like definition (no parameters): invoked by their bare name. Every
        /// identifier of a collected statement is looked up: the set's filter turns most away unhashed.</summary>
        public Utf8NameSet ObjectLike { get; }
        /// <summary><see cref="Marks"/> (needles 0 and 1), then the wrapper names without them.</summary>
        public NeedleSet Names { get; }
    }

    /// <summary>The marks every file is searched for: EXPORT (then '_' for an export macro) and MODULE_ (then LICENSE
    /// or IMPORT_NS).</summary>
    internal static byte[][] Marks => ["EXPORT"u8.ToArray(), "MODULE_"u8.ToArray()];

    // A thread's hits, kept from file to file.
    [ThreadStatic] private static List<(int At, int Needle)>? t_hits;

    private static int NextBackslash(ReadOnlySpan<byte> data, int from)
    {
        var next = data[from..].IndexOf((byte)'\\');
        return next < 0 ? -1 : from + next;
    }

    // Where identifiers that may start an export or module macro begin, ascending; null when the file names no
    // EXPORT_*, MODULE_LICENSE, MODULE_IMPORT_NS or wrapper at all (most files: one pass for the marks and the
    // wrapper names).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static List<int>? Candidates(ReadOnlySpan<byte> data, Wanted wanted)
    {
        var result = new List<int>();
        var marked = false;
        var hits = t_hits ??= [];
        hits.Clear();
        wanted.Names.FindAll(data, hits);
        foreach (var (at, needle) in hits)
        {
            var start = IdentifierStart(data, at);
            result.Add(start);
            if (needle >= 2)
            {
                // The wrappers the headers define without the marks in their names (6.1: DECLARE_VM_GET_PAGE_PROT,
                // ALIAS_MV, define_machine, ...) mark a file too: the only export of arch/s390/mm/mmap.c is one.
                marked = true;
                continue;
            }
            var export = needle == 0;
            var end = at + (export ? "EXPORT".Length : "MODULE_".Length);
            marked = marked || (export
                ? end < data.Length && data[end] == '_' && MayBeInvoked(data, end)
                : data[end..].StartsWith("LICENSE"u8) || data[end..].StartsWith("IMPORT_NS"u8))
                || wanted.Wrappers.Count > 0 && IsKnown(data[start..IdentifierEnd(data, start)], wanted.Lookup); // a wrapper's name: EXPORT_FOO with no '(', MY_EXPORT, MODULE_MINE
        }
        if (!marked)
        {
            return null;
        }
        // A name split by a backslash-newline (EXPO\<newline>RT_SYMBOL) is one identifier to C: the tokenizer joins it.
        // One search for the backslashes, each then looked at (two substring passes, for "\\\n" and "\\\r\n", were 5 % of
        // the marked files' scan).
        for (var start = data.IndexOf((byte)'\\'); start >= 0; start = NextBackslash(data, start + 1))
        {
            var at = start + 1;
            if (at < data.Length && data[at] == '\r') at++;
            if (at >= data.Length || data[at] != '\n') continue;
            at++;
            if (start > 0 && IsIdentPart(data[start - 1]) && at < data.Length && IsIdentPart(data[at]))
            {
                result.Add(IdentifierStart(data, start));
            }
        }
        result.Sort();
        var distinct = 0;
        for (var i = 0; i < result.Count; i++)
        {
            if (distinct == 0 || result[distinct - 1] != result[i]) result[distinct++] = result[i];
        }
        result.RemoveRange(distinct, result.Count - distinct);
        return result;
    }

    // Whether the identifier that holds position at may be a macro invoked or pasted there: what follows it, past
    // blanks, is '(', a comment, a backslash-newline or '#' (a body's EXPORT_SYMBOL##_GPL), or the end. AMD's register
    // headers name EXPORT_ in thousands of #define names followed by a value (56 MB of 6.1's headers were
    // tokenized for them); such a name exports nothing, and a file with no other mark is not tokenized.
    private static bool MayBeInvoked(ReadOnlySpan<byte> data, int at)
    {
        at = IdentifierEnd(data, at);
        var next = data[at..].IndexOfAnyExcept(" \t\r\n\f\v"u8);
        return next < 0 || data[at + next] is (byte)'(' or (byte)'/' or (byte)'\\' or (byte)'#';
    }

    // The start of the identifier that holds position at.
    private static int IdentifierStart(ReadOnlySpan<byte> data, int at)
    {
        while (at > 0 && IsIdentPart(data[at - 1]))
        {
            at--;
        }
        return at;
    }

    private static int IdentifierEnd(ReadOnlySpan<byte> data, int at)
    {
        while (at < data.Length && IsIdentPart(data[at]))
        {
            at++;
        }
        return at;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private FileScan Tokenize(string file, ReadOnlySpan<byte> data, IReadOnlyDictionary<string, string> makefileNamespaces, Wanted wanted, List<int> candidates,
        bool reportProblems = true)
    {
        var macros = new FileMacros();
        var renames = macros.Renames;
        var includes = new List<Include>();
        var sawInclude = false;
        var evaluator = new ConditionEvaluator(options.Config);
        var tokenizer = new CTokenizer(data);
        var invocations = new List<Invocation>();
        var defines = new List<Define>();
        var stack = new List<Branch>();
        var defaultNamespace = NamespaceFromMakefiles(file, makefileNamespaces);
        var pending = new List<CToken>(); // tokens outside directives, for invocations
        var directive = new List<string>();
        var directiveTokens = new List<CToken>();
        var directiveLine = 0;
        var inDirective = false;
        // Only the statements that start at a candidate name are tokenized ("full"); the code between is skimmed
        // (comments and literals skipped, directives read). A candidate the skim passes inside a comment or
        // literal is no candidate.
        var next = 0;
        var full = false;
        var depth = 0; // parentheses open in pending

        bool? Active()
        {
            bool? active = true;
            foreach (var b in stack)
            {
                if (b.Value == false) return false;
                if (b.Value is null) active = null;
            }
            return active;
        }
        // The #if condition text of the current branches, made once per branch state (directives reset it).
        string? condition = null;
        var conditionKnown = false;
        string? Condition()
        {
            if (!conditionKnown)
            {
                condition = stack.Count == 0 ? null : string.Join(" && ", stack.Select(b => b.Text));
                conditionKnown = true;
            }
            return condition;
        }

        while (true)
        {
            CToken token;
            if (!full && !inDirective)
            {
                while (next < candidates.Count && candidates[next] < tokenizer.Position)
                {
                    next++;
                }
                var limit = next < candidates.Count ? candidates[next] : data.Length;
                if (tokenizer.SkimTo(limit, out token))
                {
                    if (SkippableDirective.Test(data, tokenizer.Position, limit, out var lineEnd, out var include))
                    {
                        sawInclude |= include; // as HandleDirective: in any branch
                        if (include && defines.Count > 0 && Active() != false && IncludeName(data[tokenizer.Position..lineEnd]) is { } name)
                        {
                            includes.Add(new Include(token.Line, name.Quoted, name.Path, Condition(), defaultNamespace, LiveWrappers(defines, macros.UndefinedWrappers)));
                        }
                        tokenizer.SkipDirectiveLine(lineEnd);
                        continue;
                    }
                }
                else if (tokenizer.Position == limit && limit < data.Length)
                {
                    next++;
                    if (Active() == false || !IsCandidateName(data, limit, defines, wanted))
                    {
                        continue;
                    }
                    full = true;
                    continue;
                }
                else if (tokenizer.Position >= data.Length)
                {
                    break;
                }
                else
                {
                    continue; // the candidate was in a comment or literal
                }
            }
            else if (!tokenizer.Next(out token))
            {
                break;
            }
            if (token.Kind == CTokenKind.Directive)
            {
                inDirective = true;
                directiveTokens.Clear();
                directiveLine = token.Line;
                continue;
            }
            if (token.Kind == CTokenKind.DirectiveEnd)
            {
                inDirective = false;
                // Strings only for the directives that can matter: most #defines of a header cannot.
                if (Matters(data, directiveTokens))
                {
                    directive.Clear();
                    foreach (var t in directiveTokens)
                    {
                        directive.Add(Text(data, t));
                    }
                    var definesBefore = defines.Count;
                    HandleDirective(file, directive, directiveLine, stack, evaluator, defines, Active, ref defaultNamespace, macros, ref sawInclude);
                    if (directive is ["include", ..] && defines.Count > 0 && Active() != false
                        && IncludeName(data[directiveTokens[0].Start..(directiveTokens[^1].Start + directiveTokens[^1].Length)]) is { } name)
                    {
                        includes.Add(new Include(directiveLine, name.Quoted, name.Path, Condition(), defaultNamespace, LiveWrappers(defines, macros.UndefinedWrappers)));
                    }
                    conditionKnown = false;
                    if (defines.Count > definesBefore)
                    {
                        AddCandidates(data, tokenizer.Position, defines[^1].Name, candidates);
                    }
                }
                continue;
            }
            if (inDirective)
            {
                directiveTokens.Add(token);
                continue;
            }
            if (Active() == false)
            {
                continue;
            }
            pending.Add(token);
            // A statement ends at ';' or '}'; an invocation at its closing parenthesis, so that it takes the #if
            // condition where it stands (.S files have no ';': it used to be the condition many lines on).
            var ends = token.Kind == CTokenKind.Punct && data[token.Start] is (byte)';' or (byte)'}';
            if (token.Kind == CTokenKind.Punct && data[token.Start] == '(')
            {
                depth++;
            }
            else if (token.Kind == CTokenKind.Punct && data[token.Start] == ')' && --depth <= 0)
            {
                ends = true;
            }
            else if (pending.Count == 2 && depth == 0)
            {
                ends = true; // the name is not followed by '(': not an invocation
            }
            if (ends || pending.Count > 4096)
            {
                depth = 0;
                Collect(data, pending, invocations, Condition, defaultNamespace, defines, wanted, renames);
                pending.Clear();
                full = false;
            }
        }
        Collect(data, pending, invocations, Condition, defaultNamespace, defines, wanted, renames);
        if (tokenizer.Problem is { } problem && reportProblems)
        {
            // Not C any more from there on: what follows was not scanned (Debian's 6.1 and 6.12 trees have none).
            errors.Add(new InputError(file, problem.Line, null, $"{problem.Message}; the rest of the file is not scanned"));
        }
        return new FileScan(file, invocations, defines, includes);
    }

    // What an #include line names (the bytes from the keyword, or from just after the '#'): the path between the quotes
    // or the angle brackets, or null (a macro, #include_next, a malformed line).
    private static (bool Quoted, string Path)? IncludeName(ReadOnlySpan<byte> line)
    {
        line = line.TrimStart(" \t"u8);
        if (!line.StartsWith("include"u8)) return null;
        line = line["include".Length..].TrimStart(" \t"u8);
        if (line.Length < 2 || line[0] is not ((byte)'"' or (byte)'<')) return null;
        var close = line[1..].IndexOf(line[0] == '"' ? (byte)'"' : (byte)'>');
        if (close <= 0 || line[1..(1 + close)].IndexOfAny("\n\\"u8) >= 0) return null;
        return (line[0] == '"', Encoding.UTF8.GetString(line[1..(1 + close)]));
    }

    // This file's wrappers defined at this point: each name's last definition, unless #undef'd since or false under the .config.
    private static Define[] LiveWrappers(List<Define> defines, HashSet<string> undefined)
    {
        if (defines.Count == 0) return [];
        var live = new List<Define>();
        for (var i = defines.Count - 1; i >= 0; i--)
        {
            var define = defines[i];
            if (define.Active == false || undefined.Contains(define.Name) || live.Exists(d => d.Name == define.Name)) continue;
            live.Add(define);
        }
        return [.. live];
    }

    // The identifier at start is one Collect would look at (EXPORT in it, a module macro, or a wrapper's name).
    private static bool IsCandidateName(ReadOnlySpan<byte> data, int start, List<Define> localDefines, Wanted wanted)
    {
        var end = IdentifierEnd(data, start);
        var name = data[start..end];
        if (end < data.Length && data[end] == '\\')
        {
            return true; // split by a backslash-newline: let the tokenizer join it
        }
        return name.IndexOf("EXPORT"u8) >= 0 || IsModuleMacro(name) || IsLocalWrapper(name, localDefines) || IsKnown(name, wanted.Lookup);
    }

    // The module macros the scan reports. The other MODULE_ macros (AUTHOR, DESCRIPTION, DEVICE_TABLE, PARM_DESC, ...:
    // 37k in 6.1's marked files) count only as wrappers the file or a header defines, like any other name; tokenizing
    // and collecting them all was most of what the scan allocated.
    private static bool IsModuleMacro(ReadOnlySpan<byte> name) => name.SequenceEqual("MODULE_LICENSE"u8) || name.SequenceEqual("MODULE_IMPORT_NS"u8);

    // A wrapper this file defines: its uses after the definition are candidates too.
    private static void AddCandidates(ReadOnlySpan<byte> data, int from, string name, List<int> candidates)
    {
        var bytes = Encoding.ASCII.GetBytes(name);
        for (var at = from; at < data.Length;)
        {
            var hit = data[at..].IndexOf(bytes);
            if (hit < 0)
            {
                break;
            }
            var start = at + hit;
            if ((start == 0 || !IsIdentPart(data[start - 1])) && (start + bytes.Length >= data.Length || !IsIdentPart(data[start + bytes.Length])))
            {
                var index = candidates.BinarySearch(start);
                if (index < 0) candidates.Insert(~index, start);
            }
            at = start + bytes.Length;
        }
    }

    private static bool IsIdentStart(byte c) => CTokenizer.IsIdentStart(c);

    private static bool IsIdentPart(byte c) => CTokenizer.IsIdentPart(c);

    // Whether HandleDirective can do anything with a directive: conditionals and includes always; a #define only
    // when it names DEFAULT_SYMBOL_NAMESPACE, renames one identifier to another, or has EXPORT in its body
    // (a backslash in a token: a name split across lines, which the string form joins).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Matters(ReadOnlySpan<byte> data, List<CToken> tokens)
    {
        if (tokens.Count == 0)
        {
            return false;
        }
        var keyword = tokens[0].Text(data);
        if (!keyword.SequenceEqual("define"u8))
        {
            return !keyword.SequenceEqual("pragma"u8) && !keyword.SequenceEqual("error"u8) && !keyword.SequenceEqual("warning"u8);
        }
        foreach (var t in tokens)
        {
            var text = t.Text(data);
            if (text.IndexOf("EXPORT"u8) >= 0 || text.SequenceEqual("DEFAULT_SYMBOL_NAMESPACE"u8) || text.IndexOf((byte)'\\') >= 0)
            {
                return true;
            }
        }
        return tokens.Count == 3 && tokens[2].Kind == CTokenKind.Identifier; // #define a b: a rename
    }

    // Export and module macro invocations in a run of ordinary tokens (between semicolons): NAME ( args ), and the
    // bare name of a wrapper defined without parameters (DECLARE_VM_GET_PAGE_PROT, a whole function and its export).
    // The #if condition text is built only for a statement that holds an invocation (it was once per statement).
    private static void Collect(ReadOnlySpan<byte> data, List<CToken> tokens, List<Invocation> into, Func<string?> condition, string? defaultNamespace,
        List<Define> localDefines, Wanted wanted, Dictionary<string, string> renames)
    {
        for (var i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            if (t.Kind != CTokenKind.Identifier)
            {
                continue;
            }
            if (i + 1 == tokens.Count || tokens[i + 1].Kind != CTokenKind.Punct || data[tokens[i + 1].Start] != '(')
            {
                if (t.Text(data) is var bare && bare.IndexOf((byte)'\\') < 0 && (wanted.ObjectLike.TryGetValue(bare, out _) || IsLocalWrapper(bare, localDefines, objectLike: true)))
                {
                    into.Add(new Invocation(Text(data, t), [], t.Line, condition(), defaultNamespace));
                }
                continue;
            }
            // Candidates only: export-ish names, the module macros, and this file's own wrappers.
            ReadOnlySpan<byte> nameBytes = t.Text(data);
            if (nameBytes.IndexOf((byte)'\\') >= 0)
            {
                nameBytes = Encoding.ASCII.GetBytes(Text(data, t)); // split by a backslash-newline
            }
            if (nameBytes.IndexOf("EXPORT"u8) < 0 && !IsModuleMacro(nameBytes) && !IsLocalWrapper(nameBytes, localDefines) && !IsKnown(nameBytes, wanted.Lookup))
            {
                continue;
            }
            // The arguments: the tokens between the parentheses, split at the commas outside inner parentheses.
            var args = new List<IReadOnlyList<string>>();
            var current = new List<string>();
            var depth = 0;
            for (var j = i + 1; j < tokens.Count; j++)
            {
                var token = tokens[j];
                var punct = token.Kind == CTokenKind.Punct ? data[token.Start] : (byte)0;
                if (punct == '(')
                {
                    if (depth++ > 0) current.Add("(");
                    continue;
                }
                if (punct == ')')
                {
                    if (--depth == 0) break;
                    current.Add(")");
                    continue;
                }
                if (punct == ',' && depth == 1)
                {
                    args.Add(current);
                    current = [];
                    continue;
                }
                var text = Text(data, token);
                // #define a b before EXPORT_SYMBOL(a) exports b (qspinlock's native_ prefix, for one).
                current.Add(renames.Count == 0 ? text : renames.GetValueOrDefault(text, text));
            }
            if (depth != 0)
            {
                continue;
            }
            args.Add(current);
            into.Add(new Invocation(Text(data, t), args, t.Line, condition(), defaultNamespace));
        }
    }

    // A token's text without the backslash-newlines that may split it. Interned: directive and argument tokens are
    // the same few names, parentheses and CONFIG_ symbols again and again.
    private static string Text(ReadOnlySpan<byte> data, CToken token)
    {
        var bytes = token.Text(data);
        if (bytes.IndexOf((byte)'\\') < 0)
        {
            return Elf.SymbolNames.Get(bytes);
        }
        var text = Encoding.UTF8.GetString(bytes);
        return text.Contains('\\') ? text.Replace("\\\r\n", "").Replace("\\\n", "") : text;
    }

    private static bool IsKnown(ReadOnlySpan<byte> name, HashSet<string>.AlternateLookup<ReadOnlySpan<char>> known)
    {
        if (name.Length > 128)
        {
            return false;
        }
        Span<char> chars = stackalloc char[name.Length];
        for (var i = 0; i < name.Length; i++)
        {
            chars[i] = (char)name[i];
        }
        return known.Contains(chars);
    }

    // A wrapper this file defines (with objectLike: one defined without parameters) by that name.
    private static bool IsLocalWrapper(ReadOnlySpan<byte> name, List<Define> defines, bool objectLike = false)
    {
        foreach (var define in defines)
        {
            if ((!objectLike || define.Params is null) && name.Length == define.Name.Length && SameAscii(name, define.Name))
            {
                return true;
            }
        }
        return false;

        static bool SameAscii(ReadOnlySpan<byte> name, string text)
        {
            for (var i = 0; i < name.Length; i++)
            {
                if (name[i] != text[i]) return false;
            }
            return true;
        }
    }

    private static void HandleDirective(string file, List<string> d, int line, List<Branch> stack, ConditionEvaluator evaluator,
        List<Define> defines, Func<bool?> active, ref string? defaultNamespace, FileMacros macros, ref bool sawInclude)
    {
        if (d.Count == 0)
        {
            return;
        }
        if (d[0] == "define")
        {
            var before = defines.Count;
            HandleDefine(file, d, defines, active, ref defaultNamespace, macros, sawInclude);
            if (defines.Count > before) macros.UndefinedWrappers.Remove(d[1]); // a wrapper again (a define that is none leaves it #undef'd: C would need the #undef first)
            return;
        }
        var rest = d.GetRange(1, d.Count - 1);
        var text = d[0] is "if" or "ifdef" or "ifndef" or "elif" or "elifdef" or "elifndef" ? string.Join(" ", rest) : "";
        switch (d[0])
        {
            case "if":
                stack.Add(new Branch { Value = evaluator.Evaluate(rest), Text = text });
                break;
            case "ifdef":
                stack.Add(new Branch { Value = rest.Count > 0 ? evaluator.IsDefined(rest[0]) : null, Text = "defined(" + text + ")" });
                break;
            case "ifndef":
                stack.Add(new Branch { Value = rest.Count > 0 ? !evaluator.IsDefined(rest[0]) : null, Text = "!defined(" + text + ")" });
                break;
            case "elif" or "else" or "elifdef" or "elifndef" when stack.Count > 0:
                var b = stack[^1];
                b.AnyTrue |= b.Value == true;
                b.AnyUnknown = b.AnyUnknown == true || b.Value is null;
                bool? own = d[0] switch
                {
                    "else" => true,
                    "elif" => evaluator.Evaluate(rest),
                    "elifdef" => rest.Count > 0 ? evaluator.IsDefined(rest[0]) : null,
                    _ => rest.Count > 0 ? !evaluator.IsDefined(rest[0]) : null,
                };
                b.Value = b.AnyTrue ? false : own == false ? false : b.AnyUnknown == true ? null : own;
                b.Text = d[0] == "else" ? "!(" + b.Text + ")" : text;
                break;
            case "endif" when stack.Count > 0:
                stack.RemoveAt(stack.Count - 1);
                break;
            case "include":
                sawInclude = true;
                break;
            case "undef" when rest.Count > 0 && rest[0] == "DEFAULT_SYMBOL_NAMESPACE":
                defaultNamespace = null;
                break;
            case "undef" when rest.Count > 0:
                macros.Renames.Remove(rest[0]);
                macros.UndefinedWrappers.Add(rest[0]);
                break;
        }
    }

    // "#define NAME ..." (d[0] is "define"): the default namespace, a rename, or a wrapper whose body exports.
    // Most defines of a header are none of these: nothing is copied until the body is known to mention EXPORT.
    private static void HandleDefine(string file, List<string> d, List<Define> defines, Func<bool?> active,
        ref string? defaultNamespace, FileMacros macros, bool sawInclude)
    {
        if (d.Count < 2)
        {
            return;
        }
        var name = d[1];
        if (name == "DEFAULT_SYMBOL_NAMESPACE")
        {
            // 6.1's export.h reads DEFAULT_SYMBOL_NAMESPACE when it is included: a #define after the
            // first #include has no effect (drivers/pwm/pwm-lpss.c in 6.1 has that bug; its symvers agrees).
            if (active() != false && !sawInclude)
            {
                defaultNamespace = d.Count > 2 ? Unquote(string.Concat(d.Skip(2))) : null;
            }
            return;
        }
        if (d.Count == 3 && IsIdentifier(d[2]) && active() != false)
        {
            macros.Renames[name] = d[2];
        }
        if (IsBase(name))
        {
            return; // export.h's own definitions are the base, not wrappers
        }
        IReadOnlyList<string>? parameters = null;
        var bodyStart = 2;
        // Function-like when '(' follows the name with no space: the tokenizer kept no spacing, so accept '(' right after.
        if (d.Count > 2 && d[2] == "(")
        {
            var ps = new List<string>();
            var k = 3;
            for (; k < d.Count && d[k] != ")"; k++)
            {
                if (d[k] == ",") continue;
                if (d[k] == "." && k + 2 < d.Count && d[k + 1] == "." && d[k + 2] == ".") { ps.Add("..."); k += 2; continue; }
                ps.Add(d[k]);
            }
            parameters = ps;
            bodyStart = k + 1;
        }
        var exports = false;
        for (var i = bodyStart; i < d.Count && !exports; i++)
        {
            exports = d[i].Contains("EXPORT", StringComparison.Ordinal);
        }
        if (exports)
        {
            defines.Add(new Define(name, parameters, d.Skip(bodyStart).ToList(), file, active()));
        }
    }

    // Makefile/Kbuild: -DDEFAULT_SYMBOL_NAMESPACE=NS in ccflags-y (this directory), subdir-ccflags-y (and below)
    // or CFLAGS_obj.o (that object). Keys: "dir/", "dir/**", "dir/obj.c".
    // A tree has thousands of Makefiles and a handful name the namespace: each is searched as bytes (a pooled read)
    // and only those are read as text, in the order given, so a later Makefile's value wins as before.
    private static Dictionary<string, string> ReadMakefileNamespaces(string root, string[] makefiles, int jobs)
    {
        var naming = new bool[makefiles.Length];
        Workers.For(makefiles.Length, jobs, i =>
        {
            try
            {
                using var bytes = FileBytes.Open(makefiles[i], MaxFileBytes);
                naming[i] = bytes.Span.IndexOf("DEFAULT_SYMBOL_NAMESPACE"u8) >= 0;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InputException)
            {
                naming[i] = true; // read below, where the error surfaces as it did
            }
        });
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < makefiles.Length; i++)
        {
            if (naming[i])
            {
                AddMakefileNamespaces(root, makefiles[i], result);
            }
        }
        return result;
    }

    /// <summary>The DEFAULT_SYMBOL_NAMESPACE the Makefiles of a file's directory and its parents give it (one file's worth of
    /// <see cref="ReadMakefileNamespaces"/>, for reviewing a patch without walking the tree).</summary>
    public static string? MakefileNamespace(string root, string relativeFile)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var dir = Path.GetDirectoryName(relativeFile.Replace('\\', '/')) ?? "";
        while (true)
        {
            foreach (var name in (string[])["Makefile", "Kbuild"])
            {
                var makefile = Path.Combine(root, dir, name);
                if (File.Exists(makefile))
                {
                    AddMakefileNamespaces(root, makefile, result);
                }
            }
            if (dir.Length == 0) break;
            dir = Path.GetDirectoryName(dir) ?? "";
        }
        return NamespaceFromMakefiles(relativeFile, result);
    }

    private static void AddMakefileNamespaces(string root, string makefile, Dictionary<string, string> result)
    {
        var text = File.ReadAllText(makefile);
        if (!text.Contains("DEFAULT_SYMBOL_NAMESPACE", StringComparison.Ordinal))
        {
            return;
        }
        var dir = Path.GetRelativePath(root, Path.GetDirectoryName(makefile)!).Replace('\\', '/');
        dir = dir == "." ? "" : dir + "/";
        foreach (var line in text.Split('\n'))
        {
            var at = line.IndexOf("-DDEFAULT_SYMBOL_NAMESPACE=", StringComparison.Ordinal);
            if (at < 0)
            {
                continue;
            }
            var rest = line.AsSpan(at + "-DDEFAULT_SYMBOL_NAMESPACE=".Length);
            var blank = rest.IndexOfAny(" \t\r\f\v");
            var value = Unquote(rest[..(blank < 0 ? rest.Length : blank)].ToString().Trim('\'', '\\', '"'));
            var target = line.TrimStart();
            if (target.StartsWith("subdir-ccflags", StringComparison.Ordinal)) result[dir + "**"] = value;
            else if (target.StartsWith("CFLAGS_", StringComparison.Ordinal))
            {
                var obj = target["CFLAGS_".Length..].Split(' ', '+', ':', '=')[0];
                result[dir + Path.ChangeExtension(obj, ".c")] = value;
                result[dir + Path.ChangeExtension(obj, ".S")] = value;
            }
            else result[dir] = value;
        }
    }

    private static string? NamespaceFromMakefiles(string file, IReadOnlyDictionary<string, string> namespaces)
    {
        if (namespaces.Count == 0)
        {
            return null;
        }
        if (namespaces.TryGetValue(file, out var ns)) return ns;
        var dir = file.Contains('/') ? file[..(file.LastIndexOf('/') + 1)] : "";
        if (namespaces.TryGetValue(dir, out ns)) return ns;
        for (var d = dir; d.Length > 0; d = d.TrimEnd('/').Contains('/') ? d[..(d.TrimEnd('/').LastIndexOf('/') + 1)] : "")
        {
            if (namespaces.TryGetValue(d + "**", out ns)) return ns;
        }
        return namespaces.GetValueOrDefault("**");
    }

    private static bool IsSourceName(ReadOnlySpan<char> name) =>
        name.EndsWith(".c", StringComparison.Ordinal) || name.EndsWith(".h", StringComparison.Ordinal) || name.EndsWith(".S", StringComparison.Ordinal)
        || name.EndsWith(".c_shipped", StringComparison.Ordinal) || name.EndsWith(".h_shipped", StringComparison.Ordinal);

    private static bool IsSource(string path) => IsSourceName(path); // the name's suffix is the path's

    private static bool IsMakefileName(ReadOnlySpan<char> name) => name is "Makefile" or "Kbuild";

    private static bool IsMakefile(string path) => IsMakefileName(Path.GetFileName(path.AsSpan()));

    // A walked file's path below the root: the walk gives full paths, so a substring (Path.GetRelativePath
    // normalises both paths, three times per file, and was a few percent of a tree scan).
    private static string Relative(string fullRoot, string root, string path) =>
        path.Length > fullRoot.Length + 1 && path.StartsWith(fullRoot, StringComparison.Ordinal) && path[fullRoot.Length] == '/'
            ? path[(fullRoot.Length + 1)..]
            : Path.GetRelativePath(root, path).Replace('\\', '/');

    // With --arch, arch/ holds only that architecture's directory.
    private bool InArch(string rel)
    {
        if (options.Arch is not { } arch) return true;
        return !rel.StartsWith("arch/", StringComparison.Ordinal) || rel.StartsWith("arch/" + arch + "/", StringComparison.Ordinal);
    }

    private static string Unquote(string text) => text.Length >= 2 && text[0] == '"' && text[^1] == '"' ? text[1..^1] : text;

    private static bool IsIdentifier(string text) =>
        text.Length > 0 && (char.IsAsciiLetter(text[0]) || text[0] == '_') && text.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
