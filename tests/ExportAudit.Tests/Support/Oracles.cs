using ExportAudit.Model;

namespace ExportAudit.Tests.Support;

/// <summary>The kernel's own tools, asked in batches, and Module.symvers read by a plain split: the expectations of the real-data tests.</summary>
public static class Oracles
{
    /// <summary>binutils' nm -p -u: undefined symbols in symbol-table order, "weak " before weak ones, per file.</summary>
    public static Dictionary<string, List<string>> NmUndefined(IEnumerable<string> files)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var batch in files.Chunk(500))
        {
            foreach (var file in batch)
            {
                result[file] = [];
            }
            foreach (var line in Proc.Output("nm", ["-p", "-u", "-A", .. batch]).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var colon = line.IndexOf(": ", StringComparison.Ordinal);
                var parts = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                result[line[..colon]].Add((parts[0] is "w" or "v" ? "weak " : "") + parts[1]);
            }
        }
        return result;
    }

    /// <summary>kmod's modinfo -0: every license= of each file, in order.</summary>
    public static Dictionary<string, List<string>> ModinfoLicenses(IEnumerable<string> files)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var batch in files.Chunk(500))
        {
            // With -0 kmod prints "filename:  PATH" then the module's fields as key=value, each ended by NUL.
            string? current = null;
            foreach (var field in Proc.Output("modinfo", ["-0", .. batch]).Split('\0'))
            {
                if (field.StartsWith("filename:", StringComparison.Ordinal))
                {
                    result[current = field["filename:".Length..].TrimStart(' ')] = [];
                }
                else if (field.StartsWith("license=", StringComparison.Ordinal) && current is not null)
                {
                    result[current].Add(field["license=".Length..]);
                }
            }
        }
        return result;
    }

    /// <summary>Module.symvers rows of modules (not vmlinux), per module column, as "SYM TYPE NS CRC", sorted.</summary>
    public static Dictionary<string, string[]> SymversModuleRows(string symvers) =>
        File.ReadLines(symvers).Select(l => l.Split('\t')).Where(f => f[2] != "vmlinux")
            .GroupBy(f => f[2])
            .ToDictionary(g => g.Key, g => g.Select(f => $"{f[1]} {f[3]} {f[4]} {f[0]}").Order(StringComparer.Ordinal).ToArray());

    /// <summary>A module's exports in the same form as <see cref="SymversModuleRows"/>.</summary>
    public static string[] Rows(IEnumerable<Export> exports) =>
        exports.Select(e => $"{e.Name} {e.Kind.MacroName()} {e.Namespace} 0x{e.Crc:x8}").Order(StringComparer.Ordinal).ToArray();

    public static IEnumerable<string> Imports(KernelModule module) => module.Imports.Select(i => (i.Weak ? "weak " : "") + i.Name);

    /// <summary>Modules whose facts differ from the oracles', by path (empty when all agree).</summary>
    public static string[] Disagreements(IReadOnlyList<KernelModule> modules, string symvers)
    {
        var nm = NmUndefined(modules.Select(m => m.Path));
        var licenses = ModinfoLicenses(modules.Select(m => m.Path));
        var rows = SymversModuleRows(symvers);
        return modules.SelectMany(m => new[]
        {
            nm[m.Path].SequenceEqual(Imports(m)) ? null : $"{m.Path}: undefined symbols differ from nm",
            licenses[m.Path].SequenceEqual(m.Licenses) ? null : $"{m.Path}: licenses [{string.Join("|", m.Licenses)}], modinfo [{string.Join("|", licenses[m.Path])}]",
            Rows(m.Exports).SequenceEqual(rows.GetValueOrDefault(m.ModpostName) ?? []) ? null : $"{m.ModpostName}: exports differ from Module.symvers",
        }).OfType<string>().ToArray();
    }
}
