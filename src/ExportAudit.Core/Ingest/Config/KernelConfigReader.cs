using ExportAudit.Model;

namespace ExportAudit.Ingest.Config;

/// <summary>Reads the loader-relevant options from a kernel .config (CONFIG_X=y / "# CONFIG_X is not set").</summary>
public static class KernelConfigReader
{
    public static KernelTraits Read(string path)
    {
        bool? sig = null, force = null, allowNs = null;
        foreach (var line in File.ReadLines(path))
        {
            var (name, value) = Parse(line);
            switch (name)
            {
                case "CONFIG_MODULE_SIG": sig = value; break;
                case "CONFIG_MODULE_FORCE_LOAD": force = value; break;
                case "CONFIG_MODULE_ALLOW_MISSING_NAMESPACE_IMPORTS": allowNs = value; break;
            }
        }
        // A .config that does not mention an option has it off.
        return new KernelTraits
        {
            ModuleSig = sig ?? false,
            ForceLoad = force ?? false,
            AllowMissingNamespaceImports = allowNs ?? false,
        };
    }

    private static (string? Name, bool Value) Parse(string line)
    {
        if (line.StartsWith("# CONFIG_", StringComparison.Ordinal) && line.EndsWith(" is not set", StringComparison.Ordinal))
        {
            return (line[2..^" is not set".Length], false);
        }
        var eq = line.IndexOf('=');
        if (line.StartsWith("CONFIG_", StringComparison.Ordinal) && eq > 0)
        {
            var value = line[(eq + 1)..];
            return (line[..eq], value is "y" or "m");
        }
        return (null, false);
    }
}
