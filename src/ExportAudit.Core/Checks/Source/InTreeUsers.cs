using System.Collections.Concurrent;
using System.Text;
using ExportAudit.Diagnostics;
using ExportAudit.Ingest;
using ExportAudit.Ingest.Source;

namespace ExportAudit.Checks.Source;

public static class InTreeUseRules
{
    public static readonly RuleDescriptor NoInTreeUser = new(
        "EA3003", "export-without-in-tree-user", Severity.Warning,
        "Export added with no in-tree user",
        "No file of the tree other than the exporting one uses the symbol: the export exists only for out-of-tree modules. Kernel maintainers refuse such exports; HMM was criticised for it in 2018.");

    public static IReadOnlyList<RuleDescriptor> All { get; } = [NoInTreeUser];
}

/// <summary>
/// Which files of a tree use given symbols, by the same definition as scan-source --calls (FunctionExtractor's
/// uses): the identifier inside braces (a function body, an initializer such as an ops table), in a #define body,
/// anywhere in a .S file, or as an operand in file-scope parentheses or an initializer (`SIMPLE_DEV_PM_OPS(ops,
/// foo_suspend, foo_resume)`) — outside comments and strings. Prototypes, their parameters and the name a macro
/// declares (EXPORT_SYMBOL(foo), DECLARE_STATIC_KEY_FALSE(foo)) are not uses.
/// Each file is read once and tokenized only when its bytes contain one of the names.
/// </summary>
public static class InTreeUsers
{
    /// <param name="patched">Files a patch changed: their text after it (null: deleted). Every other file is read from disk.</param>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Find(string root, IReadOnlyCollection<string> symbols,
        IReadOnlyDictionary<string, byte[]?> patched, int jobs, InputErrors errors)
    {
        var result = symbols.ToDictionary(s => s, _ => new ConcurrentBag<string>(), StringComparer.Ordinal);
        if (symbols.Count == 0)
        {
            return result.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)[], StringComparer.Ordinal);
        }
        var needles = symbols.Select(s => (Name: s, Bytes: Encoding.ASCII.GetBytes(s))).ToArray();
        var files = Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true })
            .Where(p => p.EndsWith(".c", StringComparison.Ordinal) || p.EndsWith(".h", StringComparison.Ordinal) || p.EndsWith(".S", StringComparison.Ordinal))
            .Select(p => Path.GetRelativePath(root, p).Replace('\\', '/'))
            .Concat(patched.Keys.Where(k => patched[k] is not null)) // files a patch created
            .Distinct(StringComparer.Ordinal)
            .ToArray();
        Parallel.ForEach(files, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, jobs) }, relative =>
        {
            try
            {
                var isPatched = patched.TryGetValue(relative, out var after);
                if (isPatched && after is null)
                {
                    return; // deleted by the patch
                }
                using var bytes = after is null ? FileBytes.Open(Path.Combine(root, relative), SourceScanner.MaxFileBytes) : FileBytes.FromArray(after, after.Length);
                var data = bytes.Span;
                var present = new HashSet<string>(StringComparer.Ordinal);
                foreach (var needle in needles)
                {
                    if (data.IndexOf(needle.Bytes) >= 0) present.Add(needle.Name);
                }
                if (present.Count == 0)
                {
                    return;
                }
                var used = new HashSet<string>(StringComparer.Ordinal);
                FunctionExtractor.Extract(relative, data, new Utf8NameSet(present), used, assembly: relative.EndsWith(".S", StringComparison.Ordinal));
                foreach (var name in used)
                {
                    result[name].Add(relative);
                }
            }
            catch (InputException e)
            {
                errors.Add(e.Error with { Path = relative, Severity = Severity.Warning });
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.Warning(relative, null, e.Message);
            }
        });
        return result.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value.Order(StringComparer.Ordinal).ToArray(), StringComparer.Ordinal);
    }
}
