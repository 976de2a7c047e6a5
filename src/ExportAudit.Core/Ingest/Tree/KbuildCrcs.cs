namespace ExportAudit.Ingest.Tree;

/// <summary>
/// The CRCs modpost 6.1 gives a module object's exports: kbuild writes them as <c>#SYMVER SYM 0xCRC</c> lines
/// in each object's <c>.NAME.o.cmd</c>, and the module's <c>NAME.mod</c> lists its objects (mod_set_crcs()).
/// </summary>
public static class KbuildCrcs
{
    /// <summary>Null when there is no .mod file: then the CRCs are unknown, not absent.</summary>
    public static IReadOnlyDictionary<string, uint>? ForObject(string objectPath)
    {
        var modFile = ExportAudit.Model.ModuleNames.FromObjectPath(objectPath) + ".mod";
        if (!File.Exists(modFile))
        {
            return null;
        }
        var crcs = new Dictionary<string, uint>(StringComparer.Ordinal);
        var baseDir = Path.GetDirectoryName(objectPath) ?? ".";
        foreach (var line in File.ReadLines(modFile))
        {
            if (line.Length == 0)
            {
                break;
            }
            var obj = Path.IsPathRooted(line) ? line : Path.Combine(baseDir, Path.GetFileName(line));
            var cmd = Path.Combine(Path.GetDirectoryName(obj) ?? ".", "." + Path.GetFileName(obj) + ".cmd");
            if (!File.Exists(cmd))
            {
                continue;
            }
            foreach (var cmdLine in File.ReadLines(cmd))
            {
                if (!cmdLine.StartsWith("#SYMVER ", StringComparison.Ordinal))
                {
                    continue;
                }
                var parts = cmdLine.Split(' ');
                if (parts.Length >= 3 && parts[2].StartsWith("0x", StringComparison.Ordinal)
                    && uint.TryParse(parts[2].AsSpan(2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out var crc))
                {
                    crcs[parts[1]] = crc;
                }
            }
        }
        return crcs;
    }
}
