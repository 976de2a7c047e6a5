using ExportAudit.Diagnostics;
using ExportAudit.Ingest.Yaml;

namespace ExportAudit.Config;

/// <summary>
/// exportaudit.yaml: what a CI job would otherwise spell on the command line. Paths are relative to the
/// file. A config file is code you choose to run (its rules directory compiles and runs C#): it is read only
/// when named with --config or found upward from the current directory, never inside an input.
/// </summary>
public sealed record ProjectConfig(
    string Path,
    IReadOnlyList<string> Kernels,
    IReadOnlyList<string> Policies,
    IReadOnlyList<string> Waivers,
    string? Baseline,
    string? Rules,
    string? FailOn)
{
    public const string FileName = "exportaudit.yaml";

    public static ProjectConfig Read(string path, InputErrors errors)
    {
        var map = YamlTree.LoadMapping(path, "config");
        var f = new YamlFields(path, map, errors, "config");
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        string Resolve(string p) => System.IO.Path.IsPathRooted(p) ? p : System.IO.Path.GetRelativePath(Environment.CurrentDirectory, System.IO.Path.Combine(dir, p));
        var failOn = f.OptionalString("fail_on");
        if (failOn is not null && !Severities.TryParse(failOn, out _))
        {
            throw new InputException(path, f.Node("fail_on")!.Line, "config: fail_on is error, warning or note");
        }
        var config = new ProjectConfig(path,
            f.StringOrList("kernel").Select(Resolve).ToArray(),
            f.StringOrList("policy").Select(Resolve).ToArray(),
            f.StringOrList("waivers").Select(Resolve).ToArray(),
            f.OptionalString("baseline") is { } b ? Resolve(b) : null,
            f.OptionalString("rules") is { } r ? Resolve(r) : null,
            failOn);
        f.WarnUnknown();
        return config;
    }

    /// <summary>The nearest exportaudit.yaml at or above <paramref name="start"/>, or null.</summary>
    public static string? Discover(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, FileName);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>True when <paramref name="path"/> is one of, or below one of, <paramref name="roots"/>.</summary>
    public static bool IsInside(string path, IEnumerable<string> roots)
    {
        var full = System.IO.Path.GetFullPath(path).TrimEnd('/');
        foreach (var root in roots)
        {
            var r = System.IO.Path.GetFullPath(root).TrimEnd('/');
            if (full == r || full.StartsWith(r + "/", StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }
}
