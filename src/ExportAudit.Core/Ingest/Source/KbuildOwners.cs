using System.Text;
using System.Text.RegularExpressions;
using ExportAudit.Diagnostics;
using ExportAudit.Ingest.Config;
using ExportAudit.Model;

namespace ExportAudit.Ingest.Source;

/// <summary>
/// Which object each source file of a tree is built into, as Kbuild decides it under a .config: vmlinux
/// (obj-y, lib-y) or a module (obj-m), named as modpost names it ("drivers/net/ethernet/8390/8390"). Reads the
/// Kbuild/Makefile of each directory the build descends into — obj-$(CONFIG_X) lists, composite objects
/// (name-y, name-objs, name-$(CONFIG_X)), subdirectories, ifeq/ifdef blocks over CONFIG_ values and
/// $(subst ...) — starting where the top-level Kbuild and the architecture's Makefile start. Not make: other
/// functions and generated makefiles are not evaluated; a file they decide stays unknown (null).
/// </summary>
public sealed partial class KbuildOwners
{
    private readonly Dictionary<string, string> _owners = new(StringComparer.Ordinal);
    // The object each built file is part of, built in or not: "drivers/scsi/scsi_mod" for scsi_error.c (scsi_mod-y).
    private readonly Dictionary<string, string> _objects = new(StringComparer.Ordinal);
    private Dictionary<string, KeyValuePair<string, string>[]>? _builtByDirectory;

    private string _root = "";
    private readonly Dictionary<string, Dictionary<string, string>> _includedByDirectory = new(StringComparer.Ordinal);

    /// <summary>
    /// The owner of a relative source path: "vmlinux", a modpost module name, or null (not built, or unknown). A file
    /// that is no object of its own (kernel/sched/completion.c, kernel/rcu/tree_plugin.h) belongs to the built file of
    /// its directory that #includes it.
    /// </summary>
    public string? OwnerOf(string file) => BuiltAs(file) is { } built ? _owners[built] : null;

    /// <summary>
    /// The object a relative source path is built as part of, built in or a module: the composite object
    /// ("drivers/scsi/scsi_mod" for scsi_error.c, whether SCSI is y or m), else the file's own ("mm/pagewalk").
    /// Null where <see cref="OwnerOf"/> is.
    /// </summary>
    public string? ObjectOf(string file) => BuiltAs(file) is { } built ? _objects[built] : null;

    // The built file a path is, or is #included by.
    private string? BuiltAs(string file)
    {
        if (_owners.ContainsKey(file))
        {
            return file;
        }
        var slash = file.LastIndexOf('/');
        var dir = slash < 0 ? "" : file[..slash];
        lock (_includedByDirectory)
        {
            if (!_includedByDirectory.TryGetValue(dir, out var included))
            {
                _includedByDirectory[dir] = included = IncludedFiles(dir);
            }
            return included.GetValueOrDefault(file);
        }
    }

    // #include "x.c" / "x.h" in the built .c files of a directory: the included file is built as its includer.
    private Dictionary<string, string> IncludedFiles(string dir)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var prefix = dir.Length == 0 ? "" : dir + "/";
        // The built files by directory, made once: filtering all of them for each directory asked about (every
        // directory with an export in a header or in a file the .config does not build) was most of the time an
        // owner took.
        _builtByDirectory ??= _owners
            .GroupBy(p => p.Key.LastIndexOf('/') is var slash and >= 0 ? p.Key[..slash] : "", StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(p => p.Key, StringComparer.Ordinal).ToArray(), StringComparer.Ordinal);
        foreach (var (file, _) in _builtByDirectory.GetValueOrDefault(dir) ?? [])
        {
            var path = Path.Combine(_root, file);
            if (!File.Exists(path))
            {
                continue;
            }
            List<string> names;
            try
            {
                using var bytes = FileBytes.Open(path, SourceScanner.MaxFileBytes);
                names = IncludedNames(bytes.Span);
            }
            catch (InputException)
            {
                continue; // larger than any source file: the scan reports it
            }
            foreach (var name in names)
            {
                result.TryAdd(Normalize(prefix + name), file);
            }
        }
        return result;
    }

    /// <summary>The names of a file's <c>#include "NAME"</c> lines (also <c># include "NAME"</c>; blanks may lead the line),
    /// found by searching the bytes: reading the 3,000 built files these lookups open in 6.1 as lines of text was most
    /// of their time and garbage.</summary>
    internal static List<string> IncludedNames(ReadOnlySpan<byte> data)
    {
        var names = new List<string>();
        for (var at = data.IndexOf("include \""u8); at >= 0;)
        {
            var hash = at - 1;
            if (hash >= 1 && data[hash] == ' ' && data[hash - 1] == '#') hash--;
            var lineStart = hash;
            while (lineStart > 0 && data[lineStart - 1] is (byte)' ' or (byte)'\t' or (byte)'\f' or (byte)'\v')
            {
                lineStart--;
            }
            var quote = at + "include \"".Length;
            if (hash >= 0 && data[hash] == '#' && (lineStart == 0 || data[lineStart - 1] is (byte)'\n' or (byte)'\r'))
            {
                var end = data[quote..].IndexOfAny((byte)'"', (byte)'\n', (byte)'\r');
                if (end > 0 && data[quote + end] == '"')
                {
                    names.Add(System.Text.Encoding.UTF8.GetString(data.Slice(quote, end)));
                }
            }
            var next = data[quote..].IndexOf("include \""u8);
            at = next < 0 ? -1 : quote + next;
        }
        return names;
    }

    public int Count => _owners.Count;

    /// <summary>The architecture a .config is for (its CONFIG_X86, CONFIG_ARM64, ... symbol); x86 when none is recognised.</summary>
    public static string ArchOf(KernelConfig config) =>
        new[] { ("CONFIG_X86", "x86"), ("CONFIG_ARM64", "arm64"), ("CONFIG_S390", "s390"), ("CONFIG_PPC", "powerpc"), ("CONFIG_RISCV", "riscv"),
                ("CONFIG_ARM", "arm"), ("CONFIG_MIPS", "mips"), ("CONFIG_LOONGARCH", "loongarch"), ("CONFIG_SPARC", "sparc") }
            .FirstOrDefault(a => config.IsBuiltin(a.Item1)).Item2 ?? "x86";

    /// <param name="config">Null: every CONFIG_ option counts as m (every directory and composite part is read, the
    /// owners are then a guess; <see cref="ObjectOf"/>, which needs no .config but for the odd part, is what it is for).</param>
    public static KbuildOwners Read(string root, KernelConfig? config, string arch)
    {
        var owners = new KbuildOwners { _root = root };
        var evaluator = new Evaluator(root.TrimEnd('/'), config, arch);
        var visited = new HashSet<string>(StringComparer.Ordinal);
        // Where the build starts: the top-level Kbuild (init/, kernel/, mm/, ..., arch/$(SRCARCH)/), the library
        // directories (libs-y) and the architecture Makefile's core-y/drivers-y/libs-y directories.
        owners.Directory(root, "", 'y', evaluator, visited, topLevel: true);
        foreach (var (dir, mode) in evaluator.ArchDirectories(root))
        {
            owners.Directory(root, dir.TrimEnd('/'), mode, evaluator, visited, topLevel: false);
        }
        owners.Directory(root, "lib", 'y', evaluator, visited, topLevel: false);
        return owners;
    }

    private void Directory(string root, string dir, char mode, Evaluator evaluator, HashSet<string> visited, bool topLevel)
    {
        if (!visited.Add(dir))
        {
            return;
        }
        var makefile = new[] { "Kbuild", "Makefile" }.Select(n => Path.Combine(root, dir, n)).FirstOrDefault(File.Exists);
        if (makefile is null || (topLevel && !File.Exists(Path.Combine(root, "Kbuild"))))
        {
            return;
        }
        var vars = evaluator.Parse(makefile);
        var prefix = dir.Length == 0 ? "" : dir + "/";
        var builtIn = vars.Get("obj-y").Concat(vars.Get("lib-y")).Concat(vars.Get("extra-y")).Concat(vars.Get("head-y")).Select(o => (o, 'y'));
        var modular = vars.Get("obj-m").Select(o => (o, 'm'));
        foreach (var (obj, own) in builtIn.Concat(modular))
        {
            var effective = mode == 'm' ? 'm' : own;
            if (obj.EndsWith('/'))
            {
                Directory(root, prefix + obj.TrimEnd('/'), effective, evaluator, visited, topLevel: false);
                continue;
            }
            if (!obj.EndsWith(".o", StringComparison.Ordinal) && !obj.EndsWith(".a", StringComparison.Ordinal))
            {
                continue;
            }
            var name = obj[..^2];
            var owner = effective == 'y' ? Export.VmlinuxName : prefix + name;
            foreach (var component in Components(vars, name, depth: 0))
            {
                foreach (var ext in (string[])[".c", ".S"])
                {
                    if (_owners.TryAdd(Normalize(prefix + component + ext), owner)) _objects[Normalize(prefix + component + ext)] = prefix + name;
                }
            }
        }
    }

    // "arch/x86/kvm/../../../virt/kvm/kvm_main.c" → "virt/kvm/kvm_main.c"
    private static string Normalize(string path)
    {
        if (!path.Contains("..", StringComparison.Ordinal) && !path.Contains("./", StringComparison.Ordinal))
        {
            return path;
        }
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); }
            else if (part is not ("." or "")) parts.Add(part);
        }
        return string.Join('/', parts);
    }

    // A composite object's parts (name-y, name-objs, name-m; nested composites expanded), or the object itself.
    private static IEnumerable<string> Components(Variables vars, string name, int depth)
    {
        var parts = vars.Get(name + "-y").Concat(vars.Get(name + "-objs")).Concat(vars.Get(name + "-m")).Where(p => p.EndsWith(".o", StringComparison.Ordinal)).ToArray();
        if (parts.Length == 0 || depth > 4)
        {
            return [name];
        }
        return parts.SelectMany(p => p[..^2] == name ? [name] : Components(vars, p[..^2], depth + 1));
    }

    private sealed class Variables
    {
        public readonly Dictionary<string, List<string>> Values = new(StringComparer.Ordinal);

        public IEnumerable<string> Get(string name) => Values.TryGetValue(name, out var list) ? list : [];
    }

    /// <summary>
    /// The modules one Kbuild directory builds, as kbuild would for M=DIR (an out-of-tree module, or a directory of a
    /// tree): each obj-m object with its composite parts (objects relative to the directory). Without a .config every
    /// CONFIG_ option counts as m.
    /// </summary>
    public static IReadOnlyList<(string Name, IReadOnlyList<string> Objects)> ModulesOf(string makefile, KernelConfig? config, string arch)
    {
        // $(srctree) is the kernel tree the directory is in (arch/x86/kvm includes $(srctree)/virt/kvm/Makefile.kvm);
        // an out-of-tree directory is its own.
        var dir = Path.GetDirectoryName(Path.GetFullPath(makefile))!;
        var tree = dir;
        for (var up = dir; up is not null; up = Path.GetDirectoryName(up))
        {
            if (InputLoader.IsKernelSourceTree(up)) { tree = up; break; }
        }
        var vars = new Evaluator(tree, config, arch).Parse(makefile);
        return vars.Get("obj-m").Where(o => o.EndsWith(".o", StringComparison.Ordinal)).Distinct(StringComparer.Ordinal)
            .Select(o => (o[..^2], (IReadOnlyList<string>)Components(vars, o[..^2], depth: 0).Select(c => c + ".o").Distinct(StringComparer.Ordinal).ToArray()))
            .ToArray();
    }

    private sealed partial class Evaluator(string root, KernelConfig? config, string arch)
    {
        private int depthOfInclude;

        public IEnumerable<(string Dir, char Mode)> ArchDirectories(string root)
        {
            var makefile = Path.Combine(root, "arch", arch, "Makefile");
            if (!File.Exists(makefile))
            {
                yield break;
            }
            var vars = Parse(makefile);
            foreach (var kind in (string[])["core", "drivers", "libs"])
            {
                foreach (var dir in vars.Get(kind + "-y").Where(d => d.EndsWith('/')))
                {
                    yield return (dir, 'y');
                }
            }
        }

        private string _currentDir = "";

        public Variables Parse(string makefile) => Parse(makefile, new Variables());

        // An included file sees and sets the includer's variables (amdgpu's Makefile defines the paths acp/Makefile uses).
        private Variables Parse(string makefile, Variables vars)
        {
            var outerDir = _currentDir;
            _currentDir = Path.GetRelativePath(root, Path.GetDirectoryName(Path.GetFullPath(makefile))!).Replace('\\', '/');
            if (_currentDir == ".") _currentDir = "";
            try
            {
                return ParseLines(makefile, vars);
            }
            finally
            {
                _currentDir = outerDir;
            }
        }

        private Variables ParseLines(string makefile, Variables vars)
        {
            var conditions = new Stack<bool>();
            foreach (var raw in LogicalLines(File.ReadAllText(makefile)))
            {
                var line = StripComment(raw).Trim();
                if (line.Length == 0)
                {
                    continue;
                }
                var active = conditions.All(c => c);
                var word = line.Split(' ', '\t')[0];
                switch (word)
                {
                    case "ifeq" or "ifneq":
                        conditions.Push(!active || Compare(line[word.Length..].Trim(), vars) == (word == "ifeq"));
                        continue;
                    case "ifdef" or "ifndef":
                        var defined = Expand($"$({line[word.Length..].Trim()})", vars).Length > 0;
                        conditions.Push(!active || defined == (word == "ifdef"));
                        continue;
                    case "else":
                        if (conditions.Count > 0) conditions.Push(!conditions.Pop());
                        continue;
                    case "endif":
                        if (conditions.Count > 0) conditions.Pop();
                        continue;
                }
                if (active && (word is "include" or "-include") && Expand(line[word.Length..].Trim(), vars) is var included)
                {
                    // include $(srctree)/virt/kvm/Makefile.kvm: its variables join this file's.
                    // kbuild runs from $(srctree): "include $(src)/gvt/Makefile" (i915) is relative to it, not to the including file.
                    var path = Path.IsPathRooted(included) ? included
                        : File.Exists(Path.Combine(root, included)) ? Path.Combine(root, included)
                        : Path.Combine(Path.GetDirectoryName(makefile)!, included);
                    if (File.Exists(path) && depthOfInclude < 4)
                    {
                        depthOfInclude++;
                        var includerDir = _currentDir;
                        ParseLines(path, vars); // $(src) stays the including directory's, as in kbuild
                        _currentDir = includerDir;
                        depthOfInclude--;
                    }
                    continue;
                }
                if (!active || Assignment().Match(line) is not { Success: true } m)
                {
                    continue;
                }
                var name = Expand(m.Groups[1].Value, vars).Trim();
                var values = Expand(m.Groups[3].Value, vars).Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (m.Groups[2].Value == "+=" && vars.Values.TryGetValue(name, out var list))
                {
                    list.AddRange(values);
                }
                else
                {
                    vars.Values[name] = [.. values];
                }
            }
            return vars;
        }

        // ifeq ($(CONFIG_X),y) and ifeq "a" "b": evaluated; anything else counts as true.
        private bool Compare(string args, Variables vars)
        {
            if (args.StartsWith('(') && args.EndsWith(')'))
            {
                var inner = args[1..^1];
                var comma = TopLevelComma(inner);
                if (comma >= 0)
                {
                    return Expand(inner[..comma], vars).Trim() == Expand(inner[(comma + 1)..], vars).Trim();
                }
            }
            return true;
        }

        private static int TopLevelComma(string text)
        {
            var depth = 0;
            for (var i = 0; i < text.Length; i++)
            {
                if (text[i] == '(') depth++;
                else if (text[i] == ')') depth--;
                else if (text[i] == ',' && depth == 0) return i;
            }
            return -1;
        }

        // $(CONFIG_X) → y, m or empty; $(SRCARCH) and $(ARCH); $(subst a,b,text); this file's simple variables.
        public string Expand(string text, Variables vars)
        {
            if (!text.Contains('$'))
            {
                return text;
            }
            var result = new StringBuilder();
            for (var i = 0; i < text.Length; i++)
            {
                if (text[i] != '$' || i + 1 >= text.Length || text[i + 1] is not ('(' or '{'))
                {
                    result.Append(text[i]);
                    continue;
                }
                var close = text[i + 1] == '(' ? ')' : '}';
                var depth = 0;
                var end = i + 1;
                for (; end < text.Length; end++)
                {
                    if (text[end] == text[i + 1]) depth++;
                    else if (text[end] == close && --depth == 0) break;
                }
                if (end >= text.Length)
                {
                    break;
                }
                result.Append(Reference(text[(i + 2)..end], vars));
                i = end;
            }
            return result.ToString();
        }

        private string Reference(string inner, Variables vars)
        {
            if (inner.StartsWith("subst ", StringComparison.Ordinal))
            {
                var args = SplitArgs(inner["subst ".Length..]);
                if (args.Count == 3)
                {
                    var from = Expand(args[0], vars);
                    var value = Expand(args[2], vars);
                    return from.Length == 0 ? value : value.Replace(from, Expand(args[1], vars));
                }
                return "";
            }
            foreach (var function in (string[])["addprefix ", "addsuffix "])
            {
                // $(addprefix scrub/, a.o b.o): the object lists of fs/xfs and drivers/gpu/drm/i915.
                if (inner.StartsWith(function, StringComparison.Ordinal) && SplitArgs(inner[function.Length..]) is [var affixText, var listText])
                {
                    var affix = Expand(affixText, vars).Trim();
                    var words = Expand(listText, vars).Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                    return string.Join(' ', words.Select(w => function == "addprefix " ? affix + w : w + affix));
                }
            }
            var name = Expand(inner, vars).Trim();
            if (name.StartsWith("CONFIG_", StringComparison.Ordinal))
            {
                return config is null ? "m" : config.IsBuiltin(name) ? "y" : config.IsModule(name) ? "m" : "";
            }
            switch (name)
            {
                case "SRCARCH" or "ARCH": return arch;
                case "srctree": return root;
                case "src" or "obj": return _currentDir.Length == 0 ? "." : _currentDir;
                case "BITS": return config is null || config.IsBuiltin("CONFIG_64BIT") ? "64" : "32";
            }
            return vars.Values.TryGetValue(name, out var list) ? string.Join(' ', list) : "";
        }

        private static List<string> SplitArgs(string text)
        {
            var args = new List<string>();
            var depth = 0;
            var start = 0;
            for (var i = 0; i < text.Length; i++)
            {
                if (text[i] == '(') depth++;
                else if (text[i] == ')') depth--;
                else if (text[i] == ',' && depth == 0)
                {
                    args.Add(text[start..i]);
                    start = i + 1;
                }
            }
            args.Add(text[start..]);
            return args;
        }

        private static IEnumerable<string> LogicalLines(string text)
        {
            var current = new StringBuilder();
            foreach (var line in text.Split('\n'))
            {
                var l = line.TrimEnd('\r');
                if (l.EndsWith('\\'))
                {
                    current.Append(l[..^1]).Append(' ');
                    continue;
                }
                current.Append(l);
                yield return current.ToString();
                current.Clear();
            }
            if (current.Length > 0)
            {
                yield return current.ToString();
            }
        }

        private static string StripComment(string line)
        {
            var hash = line.IndexOf('#');
            return hash < 0 ? line : line[..hash];
        }

        // NAME op VALUE, where NAME may hold $(...) references with commas and spaces (obj-$(subst m,y,$(CONFIG_X))).
        [GeneratedRegex(@"^((?:[A-Za-z0-9_.\-/]|\$\((?:[^()]|\([^()]*\))*\)|\$\{[^{}]*\})+)\s*(\+=|:=|\?=|=)\s*(.*)$")]
        private static partial Regex Assignment();
    }
}
