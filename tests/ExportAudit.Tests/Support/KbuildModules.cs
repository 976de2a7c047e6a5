using System.Security.Cryptography;
using System.Text;

namespace ExportAudit.Tests.Support;

/// <summary>One out-of-tree module the tests write and kbuild builds.</summary>
public sealed record ModuleSource(string Name, IReadOnlyDictionary<string, string> Files, string Kbuild);

/// <summary>
/// Builds modules with kbuild against the installed Debian headers (make -C HEADERS M=DIR modules) and keeps
/// modpost's own output as the oracle. Cached under the test-data cache, keyed by the headers version and
/// the sources, so a second run builds nothing.
/// </summary>
public sealed class KbuildBuild
{
    public required string Directory { get; init; }
    public required string ModpostOutput { get; init; }
    /// <summary>modules.order, as absolute object paths (".o"), in order.</summary>
    public required IReadOnlyList<string> Objects { get; init; }

    /// <summary>Only modpost's ERROR:/WARNING: lines, in the order it printed them.</summary>
    public IReadOnlyList<string> ModpostLines => ModpostOutput.Split('\n')
        .Where(l => l.StartsWith("ERROR: modpost: ", StringComparison.Ordinal) || l.StartsWith("WARNING: modpost: ", StringComparison.Ordinal))
        .ToArray();

    public string Object(string name) => Objects.Single(o => Path.GetFileNameWithoutExtension(o) == name);

    public static KbuildBuild Build(string headersDir, string key, IReadOnlyList<ModuleSource> modules)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            string.Join("\0", modules.SelectMany(m => new[] { m.Name, m.Kbuild }.Concat(m.Files.OrderBy(f => f.Key).SelectMany(f => new[] { f.Key, f.Value })))))))[..16];
        var version = File.ReadAllText(Path.Combine(headersDir, "include", "config", "kernel.release")).Trim();
        var dir = Path.Combine(RealData.CacheDir, "kbuild", version, key + "-" + hash);
        var output = Path.Combine(dir, "modpost.out");
        if (!File.Exists(output))
        {
            if (System.IO.Directory.Exists(dir))
            {
                System.IO.Directory.Delete(dir, recursive: true);
            }
            System.IO.Directory.CreateDirectory(dir);
            var kbuild = new StringBuilder();
            foreach (var module in modules)
            {
                foreach (var (file, text) in module.Files)
                {
                    File.WriteAllText(Path.Combine(dir, file), text);
                }
                kbuild.Append(module.Kbuild).Append('\n');
            }
            File.WriteAllText(Path.Combine(dir, "Kbuild"), kbuild.ToString());
            // modpost errors are expected (they are what the tests compare), so the exit code is not checked;
            // the objects must exist, though.
            var r = Proc.Run("make", ["-C", headersDir, "M=" + dir, "modules"], dir);
            File.WriteAllText(output + ".tmp", r.Stdout + r.Stderr);
            File.Move(output + ".tmp", output);
        }
        var order = File.ReadAllLines(Path.Combine(dir, "modules.order"))
            .Where(l => l.Length > 0)
            .Select(l => Path.IsPathRooted(l) ? l : Path.Combine(dir, l))
            .Select(l => System.IO.Path.ChangeExtension(l, ".o"))
            .ToArray();
        foreach (var obj in order)
        {
            Assert.True(File.Exists(obj), $"kbuild did not produce {obj}:\n{File.ReadAllText(output)}");
        }
        return new KbuildBuild { Directory = dir, ModpostOutput = File.ReadAllText(output), Objects = order };
    }
}

/// <summary>
/// A module manifest written from a real object file by the kernel's own tools, never by ExportAudit:
/// licenses and import_ns by kmod's modinfo, undefined symbols in symbol-table order by nm -p -u, exports
/// (and GPL-only-ness) from the per-symbol ___ksymtab sections objdump -t names.
/// </summary>
public static class OracleManifest
{
    public static string FromObject(string objectPath)
    {
        var name = Path.GetFileNameWithoutExtension(objectPath);
        // kmod reads only *.ko names: give it a copy under one.
        var copy = Path.Combine(Path.GetTempPath(), $"exportaudit-modinfo-{Environment.ProcessId}-{Guid.NewGuid():N}", name + ".ko");
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        File.Copy(objectPath, copy);
        string[] licenses, importNs;
        try
        {
            licenses = Lines(Proc.Run("modinfo", ["-F", "license", copy]).Stdout);
            importNs = Lines(Proc.Run("modinfo", ["-F", "import_ns", copy]).Stdout);
        }
        finally
        {
            System.IO.Directory.Delete(Path.GetDirectoryName(copy)!, recursive: true);
        }
        var imports = new List<string>();
        foreach (var line in Lines(Proc.Output("nm", "-p", "-u", objectPath)))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            imports.Add(parts[0] is "w" or "v" ? $"{{symbol: \"{parts[1]}\", weak: true}}" : $"\"{parts[1]}\"");
        }
        var exports = new List<string>();
        foreach (var line in Lines(Proc.Output("objdump", "-t", objectPath)))
        {
            // "0000000000000000 g     O ___ksymtab_gpl+foo	0000000000000010 __ksymtab_foo"
            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            var symbol = fields[^1];
            var section = fields.FirstOrDefault(f => f.StartsWith("___ksymtab", StringComparison.Ordinal));
            if (section is null || !symbol.StartsWith("__ksymtab_", StringComparison.Ordinal))
            {
                continue;
            }
            var type = section.StartsWith("___ksymtab_gpl+", StringComparison.Ordinal) ? "EXPORT_SYMBOL_GPL" : "EXPORT_SYMBOL";
            exports.Add($"{{symbol: \"{symbol["__ksymtab_".Length..]}\", type: {type}}}");
        }
        var yaml = new StringBuilder();
        yaml.Append($"module: {name}\n");
        yaml.Append($"path: \"{objectPath}\"\n");
        yaml.Append($"license: [{string.Join(", ", licenses.Select(Quote))}]\n");
        yaml.Append($"import_ns: [{string.Join(", ", importNs.Select(Quote))}]\n");
        yaml.Append($"imports: [{string.Join(", ", imports)}]\n");
        yaml.Append($"exports: [{string.Join(", ", exports)}]\n");
        return yaml.ToString();
    }

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
