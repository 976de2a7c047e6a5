using ExportAudit.Diagnostics;
using ExportAudit.Ingest.Config;
using ExportAudit.Ingest.Source;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.RealData;

/// <summary>
/// Kbuild's verdict on where each export ends up — vmlinux or which module — read from linux-source-6.1's
/// Makefiles under the Debian .config, against the owner column of the Module.symvers Debian built from it.
/// </summary>
public class KbuildOwnersTests(ITestOutputHelper output)
{
    // The #include "NAME" lines of a file as the owner lookup once read them: line by line, leading blanks trimmed.
    private static List<string> IncludedNamesByLines(string path)
    {
        var names = new List<string>();
        foreach (var line in File.ReadLines(path))
        {
            var trimmed = line.TrimStart();
            if (!trimmed.StartsWith("#include \"", StringComparison.Ordinal) && !trimmed.StartsWith("# include \"", StringComparison.Ordinal)) continue;
            var start = trimmed.IndexOf('"') + 1;
            var end = trimmed.IndexOf('"', start);
            if (end > start) names.Add(trimmed[start..end]);
        }
        return names;
    }

    [Fact]
    public void IncludedNames_FromTheBytes_AreTheLinesOnes_OnEveryCFileOfKernelMmAndSound()
    {
        var files = new[] { "kernel", "mm", "sound" }.SelectMany(d => Directory.EnumerateFiles(Path.Combine(Support.RealData.Source61, d), "*.c", SearchOption.AllDirectories)).ToArray();
        var withIncludes = 0;
        foreach (var file in files)
        {
            var expected = IncludedNamesByLines(file);
            withIncludes += expected.Count > 0 ? 1 : 0;
            Assert.Equal(expected, KbuildOwners.IncludedNames(File.ReadAllBytes(file)));
        }
        output.WriteLine($"{files.Length} files, {withIncludes} with #include \"...\"");
        Assert.True(withIncludes > 500, $"only {withIncludes} files include a local file: the comparison proves little");
    }

    [Fact]
    public void Linux61_OwnersOfTheScannedExports_AgreeWithModuleSymvers()
    {
        var config = KernelConfig.Read(Path.Combine(Support.RealData.HeadersDir, ".config"));
        var owners = KbuildOwners.Read(Support.RealData.Source61, config, "x86");
        var scan = new SourceScanner(new InputErrors(), new SourceScanOptions { Config = config, Arch = "x86", Jobs = 2 }).Scan(Support.RealData.Source61);
        var found = scan.Exports.ToLookup(e => e.Symbol);
        var rows = File.ReadLines(Support.RealData.HeadersSymvers).Select(l => l.Split('\t')).Where(r => found.Contains(r[1])).ToArray();
        var agree = 0;
        var unknown = new List<string>();
        var wrong = new List<string>();
        foreach (var row in rows)
        {
            var candidates = found[row[1]].Select(e => owners.OwnerOf(e.File)).ToArray();
            if (candidates.Contains(row[2])) agree++;
            else if (candidates.All(c => c is null)) unknown.Add($"{row[1]} ({row[2]}; {string.Join(", ", found[row[1]].Select(e => e.File))})");
            else wrong.Add($"{row[1]}: symvers {row[2]}, Kbuild {string.Join(" / ", candidates.Select(c => c ?? "?"))} ({string.Join(", ", found[row[1]].Select(e => e.File))})");
        }
        output.WriteLine($"{rows.Length} exports: {agree} agree ({100.0 * agree / rows.Length:F2} %), {unknown.Count} not placed, {wrong.Count} placed elsewhere; {owners.Count} files placed");
        foreach (var w in wrong.Take(60)) output.WriteLine("  wrong: " + w);
        foreach (var u in unknown.Take(60)) output.WriteLine("  unknown: " + u);
        foreach (var g in unknown.GroupBy(u => u[(u.LastIndexOf("; ", StringComparison.Ordinal) + 2)..].Split(',')[0].Split('/').SkipLast(1).Aggregate("", (a, b) => a + b + "/")).OrderByDescending(g => g.Count()).Take(40))
        {
            output.WriteLine($"  unknown in {g.Key}: {g.Count()}");
        }
        Assert.Empty(wrong); // never placed in the wrong object
        Assert.True(agree * 1000 >= rows.Length * 995, $"{agree} of {rows.Length} owners agree: less than 99.5 %");
        // The object each file is part of, built in or a module (EA3002 leaves an object's own functions out).
        Assert.Equal("drivers/acpi/acpica/acpi", owners.ObjectOf("drivers/acpi/acpica/utmutex.c")); // acpi-y, built in
        Assert.Equal("drivers/acpi/acpica/acpi", owners.ObjectOf("drivers/acpi/acpica/evxfgpe.c"));
        Assert.Equal(("mm/hmm", "mm/pagewalk"), (owners.ObjectOf("mm/hmm.c"), owners.ObjectOf("mm/pagewalk.c"))); // the seed's pair: two objects
        Assert.Equal("lib/zstd/zstd_compress", owners.ObjectOf("lib/zstd/compress/zstd_compress.c")); // zstd_compress-y, a module
        Assert.Equal(owners.OwnerOf("lib/zstd/zstd_compress_module.c"), owners.OwnerOf("lib/zstd/compress/zstd_compress.c"));
        Assert.Equal("kernel/sched/build_utility", owners.ObjectOf("kernel/sched/completion.c")); // #included by build_utility.c
        Assert.Null(owners.ObjectOf("drivers/net/ethernet/mellanox/mlxsw/core.c")); // MLXSW_CORE not set
    }
}
