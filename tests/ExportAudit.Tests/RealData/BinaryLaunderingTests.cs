using System.Text.Json;
using System.Text.RegularExpressions;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.RealData;

/// <summary>
/// The laundering check on binaries: from each plain export of a module, its relocations to GPL-only imports.
/// A module built by kbuild against the Debian headers for the known cases, and Debian's own modules against
/// binutils' objdump -dr (the relocations inside each function, read by another tool) for the direct edges.
/// </summary>
public partial class BinaryLaunderingTests(ITestOutputHelper output)
{
    private const string Wrapper = """
        #include <linux/module.h>
        #include <linux/memremap.h>
        #include <linux/cpu.h>

        void *vendor_map(struct device *dev, struct dev_pagemap *pgmap)
        {
        	return devm_memremap_pages(dev, pgmap);
        }
        EXPORT_SYMBOL(vendor_map);

        /* In a section of its own, so the call to it carries a relocation. */
        static noinline __section(".text.vendor_slow") void vendor_lock_slow(void)
        {
        	cpus_read_lock();
        	cpus_read_unlock();
        }

        int vendor_lock(void)
        {
        	vendor_lock_slow();
        	return 0;
        }
        EXPORT_SYMBOL(vendor_lock);

        int vendor_clean(int x)
        {
        	return x + 1;
        }
        EXPORT_SYMBOL(vendor_clean);

        int vendor_gpl(void)
        {
        	cpus_read_lock();
        	cpus_read_unlock();
        	return 0;
        }
        EXPORT_SYMBOL_GPL(vendor_gpl);

        MODULE_LICENSE("GPL");
        """;

    private static JsonElement[] Findings(CliResult r) => JsonDocument.Parse(r.Stdout).RootElement.GetProperty("findings").EnumerateArray().ToArray();

    [Fact]
    public void KbuildModule_PlainWrappersOfGplOnlyImports_DirectAndThroughAHelper()
    {
        var build = KbuildBuild.Build(Support.RealData.HeadersDir, "laundering", [new ModuleSource("vendor_wrap", new Dictionary<string, string> { ["vendor_wrap.c"] = Wrapper }, "obj-m += vendor_wrap.o")]);
        var ko = Path.ChangeExtension(build.Object("vendor_wrap"), ".ko");
        var r = Support.Cli.Run("scan-source", ko, "--calls", "--kernel", Support.RealData.HeadersDir, "--format", "json");
        Assert.Equal("", r.Stderr);
        var laundering = Findings(r).Where(f => f.GetProperty("rule").GetString() == "EA3001")
            .ToDictionary(f => f.GetProperty("symbol").GetString()!, f => f.GetProperty("evidence").GetProperty("notes").EnumerateArray().Select(n => n.GetString()!).ToArray());
        Assert.Equal(["vendor_lock", "vendor_map"], laundering.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("vendor_map (vendor_wrap.ko) -> devm_memremap_pages (EXPORT_SYMBOL_GPL)", laundering["vendor_map"]);
        Assert.Contains("vendor_lock (vendor_wrap.ko) -> vendor_lock_slow (vendor_wrap.ko) -> cpus_read_lock (EXPORT_SYMBOL_GPL)", laundering["vendor_lock"]);
        // The oracle saw the same: objdump's relocations inside vendor_map name devm_memremap_pages.
        Assert.Contains("devm_memremap_pages", ObjdumpEdges(ko)["vendor_map"]);
    }

    [Fact]
    public void DebianModules_DirectEdgesEqualObjdumpsRelocations()
    {
        var symvers = File.ReadLines(Support.RealData.HeadersSymvers).Select(l => l.Split('\t')).ToArray();
        var gplOnly = symvers.Where(f => f[3] == "EXPORT_SYMBOL_GPL").Select(f => f[1]).ToHashSet(StringComparer.Ordinal);
        var plainByModule = symvers.Where(f => f[3] == "EXPORT_SYMBOL" && f[2] != "vmlinux").GroupBy(f => f[2].Split('/')[^1])
            .ToDictionary(g => g.Key, g => g.Select(f => f[1]).ToHashSet(StringComparer.Ordinal));
        // Thirty modules with plain exports, the first by path: a fixed, varied sample (net, drm, fs, ...).
        var modules = Directory.EnumerateFiles(Support.RealData.ModulesDir, "*.ko", SearchOption.AllDirectories)
            .Where(p => plainByModule.ContainsKey(Path.GetFileNameWithoutExtension(p).Replace('-', '_')) || plainByModule.ContainsKey(Path.GetFileNameWithoutExtension(p)))
            .Order(StringComparer.Ordinal).Where((_, i) => i % 9 == 0).Take(30).ToArray();
        Assert.Equal(30, modules.Length);

        var expected = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var ko in modules)
        {
            var name = Path.GetFileNameWithoutExtension(ko);
            var plain = plainByModule.GetValueOrDefault(name) ?? plainByModule[name.Replace('-', '_')];
            foreach (var (function, callees) in ObjdumpEdges(ko).Where(p => plain.Contains(p.Key)))
            {
                foreach (var callee in callees.Where(gplOnly.Contains))
                {
                    expected.Add($"{Path.GetFileName(ko)} {function} -> {callee}");
                }
            }
        }

        using var dir = new TempDir();
        foreach (var ko in modules)
        {
            File.Copy(ko, Path.Combine(dir.Path, Path.GetFileName(ko)));
        }
        var r = Support.Cli.Run("scan-source", dir.Path, "--calls", "--kernel", Support.RealData.HeadersDir, "--format", "json");
        Assert.Equal("", r.Stderr);
        var direct = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var f in Findings(r).Where(f => f.GetProperty("rule").GetString() == "EA3001"))
        {
            foreach (var note in f.GetProperty("evidence").GetProperty("notes").EnumerateArray().Select(n => n.GetString()!))
            {
                if (DirectChain().Match(note) is { Success: true } m)
                {
                    direct.Add($"{m.Groups[2].Value} {m.Groups[1].Value} -> {m.Groups[3].Value}");
                }
            }
        }
        output.WriteLine($"{modules.Length} modules, {expected.Count} direct plain-export -> GPL-only edges by objdump, {direct.Count} by exportaudit");
        Assert.True(expected.Count >= 10, "the sample has laundering to compare");
        Assert.Equal(expected, direct);
    }

    // "f (m.ko) -> g (EXPORT_SYMBOL_GPL...)": a chain without helpers.
    [GeneratedRegex(@"^(\S+) \((\S+\.ko)\) -> (\S+) \(EXPORT_SYMBOL_GPL")]
    private static partial Regex DirectChain();

    // objdump -dr: "<function>:" opens a function, relocation lines name the symbol (less "-0x4" addends).
    private static Dictionary<string, HashSet<string>> ObjdumpEdges(string ko)
    {
        var edges = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        string? current = null;
        foreach (var line in Proc.Output("objdump", "-dr", "--no-show-raw-insn", ko).Split('\n'))
        {
            if (FunctionLabel().Match(line) is { Success: true } f)
            {
                current = f.Groups[1].Value;
                continue;
            }
            if (current is not null && Relocation().Match(line) is { Success: true } r)
            {
                if (!edges.TryGetValue(current, out var set))
                {
                    edges[current] = set = [];
                }
                set.Add(r.Groups[1].Value);
            }
        }
        return edges;
    }

    [GeneratedRegex(@"^[0-9a-f]+ <([^>]+)>:$")]
    private static partial Regex FunctionLabel();

    [GeneratedRegex(@"^\s+[0-9a-f]+: R_\S+\s+([A-Za-z_][A-Za-z0-9_.]*)")]
    private static partial Regex Relocation();
}
