namespace ExportAudit.Tests.Support;

/// <summary>Where the repository and the real test data are.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Samples => Path.Combine(RepoRoot, "samples");

    public static string Sample(params string[] parts) => Path.Combine([Samples, .. parts]);

    /// <summary>../shared/corpus beside the repository (kmod's cross-architecture test modules).</summary>
    public static string Corpus(params string[] parts)
    {
        var dir = new DirectoryInfo(RepoRoot);
        while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "shared", "corpus")))
        {
            dir = dir.Parent;
        }
        var corpus = dir is null ? Path.Combine(RepoRoot, "..", "shared", "corpus") : Path.Combine(dir.FullName, "shared", "corpus");
        return Path.Combine([corpus, .. parts]);
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ExportAudit.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("ExportAudit.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>
/// The real data tests/data/fetch-testdata.sh installed and resolved (the README's test command runs it
/// first). Missing data fails the test with the fix, rather than skipping it: a skipped oracle proves nothing.
/// </summary>
public static class RealData
{
    private static readonly Lazy<IReadOnlyDictionary<string, string>> Env = new(ReadEnv);

    public static string CacheDir =>
        Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetEnvironmentVariable("HOME") ?? "/root", ".cache"), "exportaudit-testdata");

    public static string HeadersDir => Get("EXPORTAUDIT_HEADERS_DIR");

    public static string HeadersSymvers => Path.Combine(HeadersDir, "Module.symvers");

    /// <summary>/lib/modules/VERSION of Debian's image package of the same ABI as the headers, unpacked.</summary>
    public static string ModulesDir => Get("EXPORTAUDIT_MODULES_DIR");

    /// <summary>Headers of the rt and cloud flavours of the same Debian kernel (Module.symvers), unpacked.</summary>
    public static string RtHeadersDir => Get("EXPORTAUDIT_RT_HEADERS_DIR");

    public static string CloudHeadersDir => Get("EXPORTAUDIT_CLOUD_HEADERS_DIR");

    /// <summary>Debian's linux-source-6.1 and -6.12, unpacked.</summary>
    public static string Source61 => Get("EXPORTAUDIT_SOURCE_61");

    public static string Source612 => Get("EXPORTAUDIT_SOURCE_612");

    /// <summary>Microsoft's SARIF multitool (npm @microsoft/sarif-multitool-linux), installed into the cache.</summary>
    public static string SarifMultitool => Get("EXPORTAUDIT_SARIF_MULTITOOL");

    /// <summary>Debian's 6.12 image (modules as .ko.xz) and the headers of the same ABI, unpacked.</summary>
    public static string Modules612Dir => Get("EXPORTAUDIT_612_MODULES_DIR");

    public static string Headers612Dir => Get("EXPORTAUDIT_612_HEADERS_DIR");

    /// <summary>A real Debian tree and its headers by name: amd64 (6.1), amd64-6.12 (.ko.xz), s390x (ELF64 big-endian), i386 (ELF32).</summary>
    public static (string Modules, string Headers) Tree(string name) => name switch
    {
        "amd64" => (ModulesDir, HeadersDir),
        "amd64-6.12" => (Modules612Dir, Headers612Dir),
        "s390x" => (Get("EXPORTAUDIT_S390X_MODULES_DIR"), Get("EXPORTAUDIT_S390X_HEADERS_DIR")),
        "i386" => (Get("EXPORTAUDIT_I386_MODULES_DIR"), Get("EXPORTAUDIT_I386_HEADERS_DIR")),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static string Get(string key)
    {
        if (Env.Value.TryGetValue(key, out var value) && (Directory.Exists(value) || File.Exists(value)))
        {
            return value;
        }
        Assert.Fail($"real test data missing ({key}): run 'bash tests/data/fetch-testdata.sh' (the README's test command does)");
        return "";
    }

    private static IReadOnlyDictionary<string, string> ReadEnv()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var file = Path.Combine(CacheDir, "env");
        if (File.Exists(file))
        {
            foreach (var line in File.ReadAllLines(file))
            {
                var eq = line.IndexOf('=');
                if (eq > 0)
                {
                    result[line[..eq]] = line[(eq + 1)..];
                }
            }
        }
        return result;
    }
}
