using System.Collections.Concurrent;
using ExportAudit.Diagnostics;
using ExportAudit.Ingest;
using ExportAudit.Ingest.Source;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.RealData;

/// <summary>
/// The call graph's sweep against the extractor it stands in for, on every .c, .h and .S file of Debian's
/// linux-source-6.1 and -6.12: the same uses of the tree's exports in each file, and the same non-static functions
/// of each .c file, in order. (The extractor read all of them for --calls before the sweep.)
/// </summary>
public class UseSweepOnLinuxTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("6.1")]
    [InlineData("6.12")]
    public void EveryFile_TheSameUsesAndFunctionsAsTheExtractor(string series)
    {
        var root = series == "6.1" ? Support.RealData.Source61 : Support.RealData.Source612;
        var scan = new SourceScanner(new InputErrors(), new SourceScanOptions { Jobs = 2 }).Scan(root);
        var exports = scan.Exports.Select(e => e.Symbol).ToHashSet(StringComparer.Ordinal);
        var watch = new Utf8NameSet(exports);
        var byHash = exports.ToDictionary(NameHashSet.Hash, n => n);
        var differ = new ConcurrentBag<string>();
        long uses = 0, functions = 0, compared = 0;
        Parallel.ForEach(scan.Files, new ParallelOptions { MaxDegreeOfParallelism = 2 }, () => new NameHashSet(), (file, _, set) =>
        {
            using var bytes = FileBytes.Open(Path.Combine(root, file), SourceScanner.MaxFileBytes);
            var data = bytes.Span;
            if (data[..Math.Min(data.Length, 8192)].IndexOf((byte)0) >= 0) return set; // binary: neither reads it
            var assembly = file.EndsWith(".S", StringComparison.Ordinal);
            var isC = file.EndsWith(".c", StringComparison.Ordinal);
            var used = new HashSet<string>(StringComparer.Ordinal);
            var extracted = FunctionExtractor.Extract(file, data, watch, used, assembly, withCalls: false);
            var expectedGlobals = isC ? extracted.Where(f => !f.IsStatic).Select(f => f.Name).ToList() : [];

            set.Clear();
            var globals = isC ? new List<string>() : null;
            UseSweep.Run(data, assembly, set, globals);
            var swept = set.ToArray().Where(byHash.ContainsKey).Select(h => byHash[h]).ToHashSet(StringComparer.Ordinal);
            if (!swept.SetEquals(used)) differ.Add($"{file}: uses, extractor only [{string.Join(" ", used.Except(swept).Take(5))}], sweep only [{string.Join(" ", swept.Except(used).Take(5))}]");
            if (!expectedGlobals.SequenceEqual(globals ?? [])) differ.Add($"{file}: functions, extractor [{string.Join(" ", expectedGlobals.Take(8))}], sweep [{string.Join(" ", (globals ?? []).Take(8))}]");
            Interlocked.Add(ref uses, used.Count);
            Interlocked.Add(ref functions, expectedGlobals.Count);
            Interlocked.Increment(ref compared);
            return set;
        }, _ => { });
        output.WriteLine($"{series}: {compared} files, {uses} (file, export) uses, {functions} non-static functions; {differ.Count} differences");
        foreach (var d in differ.Take(40)) output.WriteLine("  " + d);
        Assert.Empty(differ);
        Assert.True(compared > 50_000 && uses > 300_000 && functions > 100_000, "too little compared to prove much");
    }
}
