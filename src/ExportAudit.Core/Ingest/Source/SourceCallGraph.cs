using System.Runtime.InteropServices;
using ExportAudit.Diagnostics;
using ExportAudit.Model;

namespace ExportAudit.Ingest.Source;

/// <summary>
/// A source tree's call graph: every function definition of its .c and .h files with the names it calls, as
/// <see cref="FunctionExtractor"/> sees them. A call goes into a helper of the caller's own file (static or
/// not, when not exported); a call to a non-static function defined in another kernel file that is not exported is a
/// call into a core function not exported to modules (EA3002).
/// </summary>
public sealed class SourceCallGraph : ICallGraph
{
    private readonly Dictionary<string, Dictionary<string, FunctionInfo>> _byFile;
    private readonly KernelFunctions _kernelFunctions;
    private readonly KernelFunctions? _vmlinuxFunctions;
    private readonly KbuildOwners? _owners;
    // The objects files are part of as the Makefiles list them, every CONFIG_ option as m (for the files a .config
    // does not build, or without one).
    private readonly KbuildOwners? _objects;
    private readonly List<FunctionInfo> _all;
    // The kernel headers whose macros and inlines are helpers (FollowHeaders), and those made into nodes so far.
    private KernelHeaders? _headers;
    private readonly Dictionary<string, FunctionInfo?> _headerHelpers = new(StringComparer.Ordinal);

    // Each exported function's own export: its file's, not another file's of the same name (Build).
    private readonly Dictionary<FunctionInfo, Export> _exports;
    // With a .config: the tree's exports in files it does not build, as the kernel's table has them.
    private readonly HashSet<Export>? _unbuilt;

    private SourceCallGraph(Dictionary<string, Dictionary<string, FunctionInfo>> byFile, KernelFunctions kernelFunctions,
        KernelFunctions? vmlinuxFunctions, KbuildOwners? owners, KbuildOwners? objects, List<FunctionInfo> all, Dictionary<FunctionInfo, Export> exports,
        HashSet<Export>? unbuilt)
    {
        _byFile = byFile;
        _exports = exports;
        _unbuilt = unbuilt;
        _kernelFunctions = kernelFunctions;
        _vmlinuxFunctions = vmlinuxFunctions;
        _owners = owners;
        _objects = objects;
        _all = all;
    }

    /// <summary>Files other than the exporting ones that use each export, by <see cref="FunctionExtractor"/>'s definition of a use.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Users { get; private init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>The functions of the files that export: where the laundering walks start and go.</summary>
    public IEnumerable<FunctionInfo> Functions => _all;

    public Export? ExportOf(FunctionInfo function) => _exports.GetValueOrDefault(function);

    // A caller the .config does not build is judged against the whole tree, as for EA3002.
    public bool Reaches(FunctionInfo caller, Export target) =>
        _unbuilt is null || !_unbuilt.Contains(target) || caller.Definition is not { } at || _owners!.OwnerOf(at.File) is null;

    public FunctionInfo? Helper(FunctionInfo caller, string callee)
    {
        if (caller.Definition is { } site && _byFile.TryGetValue(site.File, out var local) && local.TryGetValue(callee, out var helper))
        {
            return helper.Exported ? null : helper;
        }
        return HeaderHelper(callee);
    }

    // The kernel headers' macros and inline functions (an out-of-tree tree checked against its kernel): compiled into
    // the file that calls them, they are its helpers — a walk goes through percpu_ref_kill, an inline, to the GPL-only
    // percpu_ref_kill_and_confirm. Each is one node, made on first use; the names its body uses, in ordinal order.
    private FunctionInfo? HeaderHelper(string name)
    {
        if (_headers is null)
        {
            return null;
        }
        lock (_headerHelpers)
        {
            if (!_headerHelpers.TryGetValue(name, out var helper))
            {
                var uses = _headers.Macro(name) ?? _headers.Inline(name);
                _headerHelpers[name] = helper = uses is null ? null : new FunctionInfo(name, null, uses.Where(u => u != name).Order(StringComparer.Ordinal).ToArray(), false);
            }
            return helper;
        }
    }

    /// <summary>
    /// Reads the headers the graph's files include (the files where walks go) from <paramref name="headers"/>, whose
    /// macros and inline functions are then helpers of every file: for a driver's source checked against the kernel it
    /// is for. The tree's own files come first: a function the tree defines is not the header's.
    /// </summary>
    public void FollowHeaders(KernelHeaders headers, string root, InputErrors errors)
    {
        foreach (var file in _byFile.Keys.Order(StringComparer.Ordinal))
        {
            try
            {
                using var bytes = FileBytes.Open(Path.Combine(root, file), SourceScanner.MaxFileBytes);
                headers.Include(Path.Combine(root, file), ModuleSourceReader.Includes(bytes.Span), errors);
            }
            catch (InputException e)
            {
                errors.Add(e.Error with { Path = file });
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.Error(file, null, e.Message);
            }
        }
        _headers = headers;
    }

    public bool IsUnexportedCore(FunctionInfo caller, string callee, out string? definedAt)
    {
        definedAt = null;
        if (caller.Definition is { } site && _byFile.TryGetValue(site.File, out var local) && local.ContainsKey(callee))
        {
            return false;
        }
        // No caller reaches a function of its own object that EA3002 means: a module's or a built-in composite's internals
        // are its own (the module zstd_compress's ZSTD_resetCStream; ACPICA's acpi-y, built in, calling
        // acpi_ut_acquire_mutex), as hmm.o's walk_page_range in mm/pagewalk.o is not. With a .config, one built into a
        // module reaches no other owner's either: it could not link against one (the name is another file's, the call
        // goes to a header's inline or stub); one built in reaches vmlinux's functions only, its object as the .config
        // builds it (fbcon.o is part of fb.o only with FRAMEBUFFER_CONSOLE=y); one not built, and every one without a
        // .config, is judged against the whole tree, its object as the Makefiles list it.
        var functions = _kernelFunctions;
        var objects = _objects;
        if (_owners is not null && caller.Definition is { } at && _owners.OwnerOf(at.File) is { } owner)
        {
            if (owner != Export.VmlinuxName) return false;
            functions = _vmlinuxFunctions!;
            objects = _owners;
        }
        if (!functions.TryDescribe(callee, caller.Definition?.File, out definedAt, out var defined))
        {
            return false;
        }
        if (objects is not null && caller.Definition is { } from && objects.ObjectOf(from.File) is { } own && objects.ObjectOf(defined) == own)
        {
            definedAt = null;
            return false;
        }
        return true;
    }

    // The non-static functions of the kernel's .c files by name: where each is defined, for the note.
    private sealed class KernelFunctions
    {
        // A name's first file, and the index of the last file that defined it (#ifdef alternatives define a name twice in one).
        private readonly Dictionary<string, (string File, int Last)> _byName = new(StringComparer.Ordinal);
        // The files after the first of a name several files define (each driver's own rtw_write32), in the scan's order.
        private readonly Dictionary<string, List<string>> _otherFiles = new(StringComparer.Ordinal);

        public void Add(string name, string file, int index)
        {
            ref var where = ref CollectionsMarshal.GetValueRefOrAddDefault(_byName, name, out var seen);
            if (!seen)
            {
                where = (file, index);
            }
            else if (where.Last != index)
            {
                if (!_otherFiles.TryGetValue(name, out var others)) _otherFiles[name] = others = [];
                others.Add(file);
                where.Last = index;
            }
        }

        /// <param name="file">The definition the note names.</param>
        public bool TryDescribe(string name, string? callerFile, out string? definedAt, out string file)
        {
            definedAt = null;
            file = "";
            if (!_byName.TryGetValue(name, out var where))
            {
                return false;
            }
            // The sweep keeps names, not lines: the file. When several define the name, the one nearest the caller (most
            // directories in common: a staging driver's call is to its own rtw_write32), the first in the scan's order of those.
            file = where.File;
            var others = _otherFiles.GetValueOrDefault(name) ?? [];
            if (callerFile is not null)
            {
                var best = SharedDirectories(file, callerFile);
                foreach (var other in others)
                {
                    var shared = SharedDirectories(other, callerFile);
                    if (shared > best) (file, best) = (other, shared);
                }
            }
            definedAt = others.Count == 0 ? file : $"{file} and {others.Count} other file{(others.Count == 1 ? "" : "s")}";
            return true;
        }

        private static int SharedDirectories(string a, string b)
        {
            var shared = 0;
            for (var i = 0; i < a.Length && i < b.Length && a[i] == b[i]; i++)
            {
                if (a[i] == '/') shared++;
            }
            return shared;
        }
    }

    // The top-level directories of a kernel tree whose C is not the kernel's: tools/ (perf, selftests, and the
    // user-space stand-ins for kernel functions their tests link against, such as tools/lib/slab.c's kmalloc),
    // scripts/ (host programs, modpost among them), usr/ (gen_init_cpio) and Documentation/ (example programs).
    // Their functions are not kernel functions a module could be denied: in linux-source-6.1 they made printk,
    // spin_lock, kmalloc and mutex_init look like unexported kernel functions to 1,235 of the 3,289 EA3002 findings.
    // (Their uses of exports still count for EA3003: tools/testing/nvdimm and cxl are kernel modules.)
    private static readonly string[] UserSpaceRoots = ["tools/", "scripts/", "usr/", "Documentation/"];

    private static bool IsUserSpace(string file)
    {
        foreach (var root in UserSpaceRoots)
        {
            if (file.StartsWith(root, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    /// <summary>
    /// What the graph needs from each file, taken as the scan reads it: from a file that may export plainly, its
    /// functions and calls (<see cref="FunctionExtractor"/>); from every other one, a sweep (<see cref="UseSweep"/>);
    /// from both, the identifiers it uses, by hash, and the non-static functions of a .c file. Hand it to
    /// <see cref="SourceScanner.Scan(string, ISourceFileVisitor?)"/>, then to <see cref="Build"/>.
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
        // The functions and calls of the files that may export plainly, extracted from the bytes the scan read (null:
        // swept only; Build extracts a swept file whose exports turn out to start walks).
        internal IReadOnlyList<SourceFunction>?[] Functions { get; private set; } = [];
        internal IReadOnlyList<string> Files => _files;

        public void Begin(IReadOnlyList<string> files)
        {
            _files = files;
            Uses = new ulong[]?[files.Count];
            Globals = new string[]?[files.Count];
            Functions = new IReadOnlyList<SourceFunction>?[files.Count];
        }

        public void Visit(int index, ReadOnlySpan<byte> data, SourceFileExports exports)
        {
            var file = _files[index];
            var uses = _sets.Value!;
            uses.Clear();
            var assembly = file.EndsWith(".S", StringComparison.Ordinal);
            var isC = file.EndsWith(".c", StringComparison.Ordinal);
            // A walk starts only at a plain export: a file that exports through GPL-only macros alone (half of the
            // exporting files of linux-source-6.1, 62 of their 134 MB) is swept, which is cheaper than extracting.
            if (exports == SourceFileExports.Any && !assembly)
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
    /// The graph from a scan and its sweep: the functions and calls of the files where a laundering walk may start
    /// (and so goes); and from every file, which exports it uses and which non-static functions it defines.
    /// </summary>
    /// <param name="toExport">A source export as the kernel's table has it (its owner): each exported function's own
    /// export (<see cref="ExportOf"/>), the one its file makes — a tree's architectures and #if alternatives may export
    /// one name in several files, and a walk starts at a file's function only when that file exports it plainly.</param>
    /// <param name="errors">A file that must be read again (see <see cref="Sweeper"/>) and no longer can be.</param>
    /// <param name="objects">The tree's Makefiles read with every CONFIG_ option as m, for the objects its files are part
    /// of (<see cref="KbuildOwners.ObjectOf"/>) where the scan's .config builds none; null, none known.</param>
    public static SourceCallGraph Build(SourceScan scan, Sweeper sweep, int jobs, Func<SourceExport, Export> toExport, InputErrors errors, KbuildOwners? objects = null)
    {
        // The export names by number, in the scan's order, and the numbers each file exports: the matching below
        // goes by number, not by string (the users' lists on linux-source-6.1, instrumented: 58 -> 27 ms).
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var names = new List<string>();
        var exportedIn = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        // Each file's export of each name: where #if alternatives of one file differ, a plain one (some configuration
        // exports it plainly: a walk starts there), then an unconditional one, then the first.
        var own = new Dictionary<(string File, int Id), SourceExport>();
        foreach (var export in scan.Exports)
        {
            if (ids.TryAdd(export.Symbol, names.Count)) names.Add(export.Symbol);
            var id = ids[export.Symbol];
            if (!exportedIn.TryGetValue(export.File, out var here)) exportedIn[export.File] = here = [];
            if (!here.Contains(id)) here.Add(id);
            if (!own.TryGetValue((export.File, id), out var before) || Preferred(export, before)) own[(export.File, id)] = export;
        }
        var files = sweep.Files;
        // The files where a walk may start, and so whose functions and calls the graph holds: a walk goes from an
        // exported function through its own file's helpers only, and starts where the file exports it plainly. The
        // scan extracted the files that may export plainly; one it swept and turns out to (a plain export its reading
        // could not tell, such as an X-macro header's) is read again here.
        var exporting = Enumerable.Range(0, files.Count)
            .Where(i => sweep.Uses[i] is not null && exportedIn.TryGetValue(files[i], out var here) && here.Exists(id => !own[(files[i], id)].Kind.IsGplOnly())).ToArray();
        var again = exporting.Where(i => sweep.Functions[i] is null && !files[i].EndsWith(".S", StringComparison.Ordinal)).ToArray();
        Workers.For(again.Length, jobs, k =>
        {
            var file = files[again[k]];
            try
            {
                using var bytes = FileBytes.Open(Path.Combine(scan.Root, file), SourceScanner.MaxFileBytes);
                sweep.Functions[again[k]] = FunctionExtractor.Extract(file, bytes.Span);
            }
            catch (InputException e)
            {
                errors.Add(e.Error with { Path = file });
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.Error(file, null, e.Message);
            }
        });
        // An assembly file has no C functions.
        var functions = exporting.Select(i => sweep.Functions[i] ?? []).ToArray();
        var byFile = new Dictionary<string, Dictionary<string, FunctionInfo>>(StringComparer.Ordinal);
        var all = new List<FunctionInfo>();
        var exports = new Dictionary<FunctionInfo, Export>(ReferenceEqualityComparer.Instance);
        for (var k = 0; k < exporting.Length; k++)
        {
            var file = files[exporting[k]];
            var exportsHere = exportedIn[file];
            var local = new Dictionary<string, FunctionInfo>(StringComparer.Ordinal);
            foreach (var f in functions[k])
            {
                var exported = ids.TryGetValue(f.Name, out var id) && exportsHere.Contains(id);
                var info = f.ToFunctionInfo(exported);
                if (local.TryAdd(f.Name, info)) // #ifdef alternatives: the first definition stands for the name
                {
                    all.Add(info);
                    if (exported) exports[info] = toExport(own[(file, id)]);
                }
            }
            if (local.Count > 0)
            {
                byFile[file] = local;
            }
        }
        // EA3002's "not exported at all": every non-static function of a kernel .c file (the extractor's, as the sweep
        // finds them). With a .config, also those of the files it builds into vmlinux: for a caller built in, a function
        // of a file it leaves out is not in that kernel — the call goes to the header's stub (lowpan_dev_debugfs_init
        // without CONFIG_6LOWPAN_DEBUGFS, kmsan_kmalloc_large without KMSAN) — and a module's is not one vmlinux links
        // against. An export the .config does not build is still judged, against the whole tree (an export
        // reaching security/security.c from infiniband's security.c without SECURITY_INFINIBAND).
        var kernelFunctions = new KernelFunctions();
        var vmlinuxFunctions = scan.Owners is null ? null : new KernelFunctions();
        for (var i = 0; i < files.Count; i++)
        {
            if (sweep.Globals[i] is not { Length: > 0 } defined || IsUserSpace(files[i]))
            {
                continue;
            }
            var builtIn = vmlinuxFunctions is not null && scan.Owners!.OwnerOf(files[i]) == Export.VmlinuxName;
            foreach (var name in defined)
            {
                kernelFunctions.Add(name, files[i], i);
                if (builtIn) vmlinuxFunctions!.Add(name, files[i], i);
            }
        }
        // Each file's uses of the exports, matched by hash (two export names with one hash would both count as used).
        // A bit per hash's top 20 bits first: 7.4 million (file, name) uses in 6.1, 5 % of them of an export (one thread,
        // in memory: 49-55 ms against 191-198 ms for the dictionary alone).
        var byHash = new Dictionary<ulong, List<int>>();
        var filter = new ulong[(1 << 20) / 64];
        for (var id = 0; id < names.Count; id++)
        {
            var hash = NameHashSet.Hash(names[id]);
            if (!byHash.TryGetValue(hash, out var same)) byHash[hash] = same = [];
            same.Add(id);
            filter[hash >> 50] |= 1UL << (int)(hash >> 44);
        }
        var usedIn = new List<int>?[files.Count];
        Workers.For(files.Count, jobs, i =>
        {
            foreach (var hash in sweep.Uses[i] ?? [])
            {
                if ((filter[hash >> 50] & 1UL << (int)(hash >> 44)) != 0 && byHash.TryGetValue(hash, out var same)) (usedIn[i] ??= []).AddRange(same);
            }
        });
        var users = new List<string>[names.Count];
        for (var id = 0; id < names.Count; id++) users[id] = [];
        for (var i = 0; i < files.Count; i++)
        {
            var exportsHere = exportedIn.GetValueOrDefault(files[i]);
            foreach (var id in usedIn[i] ?? [])
            {
                if (exportsHere?.Contains(id) != true)
                {
                    users[id].Add(files[i]);
                }
            }
        }
        var byName = new Dictionary<string, IReadOnlyList<string>>(names.Count, StringComparer.Ordinal);
        for (var id = 0; id < names.Count; id++) byName[names[id]] = users[id];
        var unbuilt = scan.Owners is null ? null : scan.Exports.Where(e => e.Owner is null).Select(toExport).ToHashSet();
        return new SourceCallGraph(byFile, kernelFunctions, vmlinuxFunctions, scan.Owners, objects, all, exports, unbuilt) { Users = byName };
    }

    private static bool Preferred(SourceExport export, SourceExport over) =>
        export.Kind.IsGplOnly() != over.Kind.IsGplOnly() ? !export.Kind.IsGplOnly() : export.Condition is null && over.Condition is not null;
}
