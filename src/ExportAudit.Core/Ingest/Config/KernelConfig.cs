using ExportAudit.Model;

namespace ExportAudit.Ingest.Config;

/// <summary>
/// A kernel .config as the preprocessor sees it through autoconf.h: CONFIG_X=y defines CONFIG_X as 1,
/// CONFIG_X=m defines CONFIG_X_MODULE as 1 (and not CONFIG_X), values define CONFIG_X as the value, and
/// everything else is undefined — which, with a config given, is known to be 0. One parser serves the
/// source scanner's #if evaluation and the loader traits of a kernel source.
/// </summary>
public sealed class KernelConfig
{
    private readonly Dictionary<string, string> _defined = new(StringComparer.Ordinal);

    public string Path { get; }

    private KernelConfig(string path) => Path = path;

    public static KernelConfig Read(string path)
    {
        var config = new KernelConfig(path);
        foreach (var line in File.ReadLines(path))
        {
            if (!line.StartsWith("CONFIG_", StringComparison.Ordinal))
            {
                continue;
            }
            var eq = line.IndexOf('=');
            if (eq < 0)
            {
                continue;
            }
            var name = line[..eq];
            var value = line[(eq + 1)..];
            switch (value)
            {
                case "y": config._defined[name] = "1"; break;
                case "m": config._defined[name + "_MODULE"] = "1"; break;
                case "n": break;
                default: config._defined[name] = value.Trim('"'); break;
            }
        }
        return config;
    }

    public bool IsDefined(string name) => _defined.ContainsKey(name);

    /// <summary>The numeric value of a CONFIG_ macro in #if: defined ones by value (non-numeric: unknown), undefined ones 0.</summary>
    public long? Value(string name) =>
        !_defined.TryGetValue(name, out var value) ? 0
        : long.TryParse(value, out var number) ? number
        : value.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && long.TryParse(value.AsSpan(2), System.Globalization.NumberStyles.HexNumber, null, out var hex) ? hex
        : null;

    public bool IsBuiltin(string name) => _defined.ContainsKey(name) && _defined[name] == "1";

    public bool IsModule(string name) => _defined.ContainsKey(name + "_MODULE");

    /// <summary>The options the module loader's behaviour depends on; an option the .config does not set is off.</summary>
    public KernelTraits Traits() => new()
    {
        ModuleSig = IsEnabled("CONFIG_MODULE_SIG"),
        ForceLoad = IsEnabled("CONFIG_MODULE_FORCE_LOAD"),
        AllowMissingNamespaceImports = IsEnabled("CONFIG_MODULE_ALLOW_MISSING_NAMESPACE_IMPORTS"),
    };

    private bool IsEnabled(string name) => IsBuiltin(name) || IsModule(name);
}
