using ExportAudit.Diagnostics;
using ExportAudit.Ingest.Elf;
using ExportAudit.Model;

namespace ExportAudit.Ingest.Tree;

/// <summary>One module file found in an input, with the name modpost would give it.</summary>
public sealed record ModuleFileEntry(string Path, string ModpostName);

/// <summary>What a directory holds: module files in modpost's order, built-in modules, manifests, and a Module.symvers beside it.</summary>
public sealed record TreeListing(
    IReadOnlyList<ModuleFileEntry> Modules,
    IReadOnlyList<string> Manifests,
    IReadOnlyList<BuiltinModule> Builtins,
    string? Symvers);

/// <summary>
/// Lists the modules of a directory. With a modules.order (a /lib/modules/VERSION tree or a kbuild output
/// directory) that order is kept and modules it does not list (extra/, updates/) follow in name order;
/// without one, every module and manifest below is taken in ordinal path order. In a kbuild directory the
/// module objects (.o) are what modpost reads, so those are taken; in an installed tree, the .ko (also
/// compressed). Symbolic links to directories are not followed, so a link loop cannot trap the walk.
/// </summary>
public static class ModuleTree
{
    private static readonly string[] ModuleSuffixes = [".ko", ".ko.xz", ".ko.zst", ".ko.gz"];

    public static bool IsModuleFileName(string path) => ModuleSuffixes.Any(s => path.EndsWith(s, StringComparison.Ordinal));

    public static bool IsManifestFileName(string path) =>
        path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);

    public static TreeListing List(string dir, InputErrors errors)
    {
        var root = dir.TrimEnd('/');
        var order = Path.Combine(root, "modules.order");
        var builtins = ReadBuiltins(root, errors);
        var symvers = new[] { Path.Combine(root, "build", "Module.symvers"), Path.Combine(root, "Module.symvers") }.FirstOrDefault(File.Exists);
        var all = Walk(root).ToArray();
        if (!File.Exists(order))
        {
            return new TreeListing(
                all.Where(IsModuleFileName).Select(p => new ModuleFileEntry(p, ModpostNameInTree(root, p, installed: true))).ToArray(),
                all.Where(IsManifestFileName).ToArray(),
                builtins,
                symvers);
        }

        // An installed tree has kernel/; a kbuild directory has the objects modpost reads.
        var installed = Directory.Exists(Path.Combine(root, "kernel"));
        var listed = new List<ModuleFileEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var line in File.ReadLines(order))
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }
            var entry = Path.IsPathRooted(line) ? line : Path.Combine(root, line);
            var file = installed ? FindInstalled(entry) : FindObject(entry);
            if (file is null)
            {
                errors.Error(order, lineNumber, $"module '{line}' is listed but not found");
                continue;
            }
            if (seen.Add(file))
            {
                listed.Add(new ModuleFileEntry(file, installed ? ModpostNameInTree(root, file, installed) : ModuleNames.FromObjectPath(entry)));
            }
        }
        foreach (var file in all.Where(IsModuleFileName))
        {
            if (seen.Add(file) && !(!installed && seen.Contains(Path.ChangeExtension(file, ".o"))))
            {
                listed.Add(new ModuleFileEntry(file, ModpostNameInTree(root, file, installed)));
            }
        }
        return new TreeListing(listed, all.Where(IsManifestFileName).ToArray(), builtins, symvers);
    }

    /// <summary>modpost's name for an installed module: its path below kernel/ (or the tree) less suffix — the Module.symvers column.</summary>
    private static string ModpostNameInTree(string root, string file, bool installed)
    {
        var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
        if (installed && relative.StartsWith("kernel/", StringComparison.Ordinal))
        {
            relative = relative["kernel/".Length..];
        }
        return ModuleNames.FromObjectPath(relative);
    }

    private static string? FindInstalled(string entry)
    {
        var stem = ModuleNames.FromObjectPath(entry);
        return ModuleSuffixes.Select(s => stem + s).FirstOrDefault(File.Exists);
    }

    private static string? FindObject(string entry)
    {
        var stem = ModuleNames.FromObjectPath(entry);
        return File.Exists(stem + ".o") ? stem + ".o" : ModuleSuffixes.Select(s => stem + s).FirstOrDefault(File.Exists);
    }

    private static IEnumerable<string> Walk(string root) =>
        Directory.EnumerateFiles(root, "*", new EnumerationOptions
        {
            RecurseSubdirectories = true,
            AttributesToSkip = FileAttributes.ReparsePoint,
            IgnoreInaccessible = true,
        })
        .Select(p => p.Replace('\\', '/'))
        .Order(StringComparer.Ordinal);

    /// <summary>modules.builtin.modinfo: NUL-separated "module.key=value"; modules.builtin names the rest.</summary>
    private static IReadOnlyList<BuiltinModule> ReadBuiltins(string root, InputErrors errors)
    {
        var licenses = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var modinfo = Path.Combine(root, "modules.builtin.modinfo");
        if (File.Exists(modinfo))
        {
            foreach (var (key, value) in Modinfo.Parse(File.ReadAllBytes(modinfo)))
            {
                var dot = key.IndexOf('.');
                if (dot <= 0)
                {
                    continue;
                }
                var module = key[..dot];
                if (!licenses.TryGetValue(module, out var list))
                {
                    licenses[module] = list = [];
                }
                if (key.AsSpan(dot + 1).SequenceEqual("license"))
                {
                    list.Add(value);
                }
            }
        }
        var builtin = Path.Combine(root, "modules.builtin");
        if (File.Exists(builtin))
        {
            foreach (var line in File.ReadLines(builtin))
            {
                if (line.Length > 0)
                {
                    licenses.TryAdd(ElfModuleReader.NameFromPath(line), []);
                }
            }
        }
        return licenses.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new BuiltinModule(p.Key, p.Value)).ToArray();
    }
}
