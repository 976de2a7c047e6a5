using System.Text;
using System.Text.Json;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.RealData;

/// <summary>
/// simulate-load against the real loader: modules built by kbuild against Debian's headers (so they pass
/// modpost and get a .ko), some doctored afterwards as vendors' shims are (a license string, an import_ns,
/// a CRC in __versions, module_layout's CRC), insmod-ed in order into Debian's own kernel under qemu.
/// The kernel's lines for these modules, in order, and each insmod's errno are the expectation.
/// </summary>
public class QemuLoaderOracleTests
{
    private static readonly Lazy<Fixture> Built = new(Build);

    private sealed record Fixture(IReadOnlyList<string> Modules, BootResult Boot, string Symbols);

    [Fact]
    public void SimulateLoad_PredictsTheKernelsLinesAndOutcomes_ModuleByModule()
    {
        var fixture = Built.Value;
        var r = Support.Cli.Run(["simulate-load", "--kernel", Support.RealData.HeadersDir, "--format", "json", .. fixture.Modules]);
        Assert.Equal("", r.Stderr);
        using var json = JsonDocument.Parse(r.Stdout);
        var loads = json.RootElement.GetProperty("loads").EnumerateArray().ToArray();
        Assert.Equal(fixture.Boot.Insmods.Select(i => i.Module), loads.Select(l => l.GetProperty("module").GetString()));

        var names = fixture.Boot.Insmods.Select(i => i.Module).ToHashSet();
        var kernelLines = fixture.Boot.KernelLog.Where(l => names.Any(n => l.StartsWith(n + ": ", StringComparison.Ordinal))).ToArray();
        var predicted = loads.SelectMany(l => l.GetProperty("log").EnumerateArray().Select(x => x.GetProperty("text").GetString()!)).ToArray();
        Assert.Equal(kernelLines, predicted);
        Assert.Equal(fixture.Boot.Insmods.Select(i => $"{i.Module} {i.Errno}"), loads.Select(l => $"{l.GetProperty("module").GetString()} {l.GetProperty("errno").GetInt32()}"));
    }

    [Fact]
    public void TheRealLoader_RefusedEachDoctoredModule_ForItsReason()
    {
        var boot = Built.Value.Boot;
        var errno = boot.Insmods.ToDictionary(i => i.Module, i => i.Errno);
        Assert.Equal(0, errno["ea_propexp"]);
        Assert.Equal(0, errno["ea_dualmit"]);
        Assert.Equal(0, errno["ea_ns_imported"]);
        Assert.Equal(-2, errno["ea_doc_lic"]);
        Assert.Equal(-22, errno["ea_doc_ns"]);
        Assert.Equal(-22, errno["ea_doc_crc"]);
        Assert.Equal(-8, errno["ea_doc_layout"]);
        var log = string.Join("\n", boot.KernelLog);
        Assert.All(ShimSuffixes, x => Assert.Equal(-2, errno[$"ea_shim_{x}"]));
        Assert.Contains("module using GPL-only symbols uses symbols ea_pfn_", log);
        Assert.Contains("from proprietary module ea_propexp, inheriting taint.", log);
        Assert.Contains("ea_doc_layout: disagrees about version of symbol module_layout", log);
        Assert.Contains("ea_propexp: module license 'Proprietary' taints kernel.", log);
    }

    private static Fixture Build()
    {
        var headers = Support.RealData.HeadersDir;
        var rows = File.ReadLines(Support.RealData.HeadersSymvers).Select(l => l.Split('\t'))
            .Where(f => f.Length == 5 && f[2] == "vmlinux" && System.Text.RegularExpressions.Regex.IsMatch(f[1], "^[a-z][a-z0-9]*_[a-z0-9_]+$")).ToArray();
        var gpl = rows.FirstOrDefault(f => f[1] == "region_intersects")?[1] ?? rows.First(f => f[3] == "EXPORT_SYMBOL_GPL" && f[4] == "")[1];
        var plain = rows.FirstOrDefault(f => f[1] == "kmalloc_caches")?[1] ?? rows.First(f => f[3] == "EXPORT_SYMBOL" && f[4] == "")[1];
        var ns = rows.First(f => f[4] != "" && f[3] == "EXPORT_SYMBOL_GPL");
        var sources = new List<ModuleSource>
        {
            Module("ea_propexp", "Proprietary", [plain],
                "int ea_propexp_fn(void);\nint ea_propexp_fn(void) { return 1; }\nEXPORT_SYMBOL(ea_propexp_fn);\n" +
                "int ea_propexp_gplfn(void);\nint ea_propexp_gplfn(void) { return 2; }\nEXPORT_SYMBOL_GPL(ea_propexp_gplfn);\n" +
                string.Concat(ShimSuffixes.Select(x => $"int ea_pfn_{x}(void);\nint ea_pfn_{x}(void) {{ return 3; }}\nEXPORT_SYMBOL(ea_pfn_{x});\n"))),
        };
        // GPL modules using a GPL-only symbol and a symbol of the proprietary module. Which the loader meets
        // first decides between the shim refusal and taint inheritance, and ld orders undefined symbols by
        // its hash of their names: several names make both orders occur among them.
        sources.AddRange(ShimSuffixes.Select(x => Module($"ea_shim_{x}", "GPL", [gpl, $"ea_pfn_{x}"])));
        sources.AddRange(new[]
        {
            Module("ea_dualmit", "Dual MIT/GPL", [gpl]),
            Module("ea_ns_imported", "GPL", [ns[1]], $"MODULE_IMPORT_NS({ns[4]});\n"),
            Module("ea_doc_lic", "Dual MIT/GPL", [gpl]),
            Module("ea_doc_ns", "GPL", [ns[1]], $"MODULE_IMPORT_NS({ns[4]});\n"),
            Module("ea_doc_crc", "GPL", [plain]),
            Module("ea_doc_layout", "GPL", [plain]),
            Module("ea_propuser", "Proprietary", ["ea_propexp_fn"]),
        });
        var build = KbuildBuild.Build(headers, "loadable", sources);
        Assert.True(build.ModpostLines.Count == 0, "these modules must pass modpost:\n" + build.ModpostOutput);

        // The doctored copies, made with the kernel's own tools' view of the file (readelf), never ours.
        var outDir = build.Directory + "-doctored";
        Directory.CreateDirectory(outDir);
        var modules = new List<string>();
        foreach (var source in sources)
        {
            var ko = Path.Combine(build.Directory, source.Name + ".ko");
            Assert.True(File.Exists(ko), $"kbuild produced no {ko}:\n{build.ModpostOutput}");
            var bytes = File.ReadAllBytes(ko);
            switch (source.Name)
            {
                case "ea_doc_lic":
                    ReplaceOnce(bytes, "license=Dual MIT/GPL\0", "license=Dual MIT/GPX\0");
                    break;
                case "ea_doc_ns":
                    var wrong = ns[4][..^1] + (ns[4][^1] == 'X' ? 'Y' : 'X');
                    ReplaceOnce(bytes, $"import_ns={ns[4]}\0", $"import_ns={wrong}\0");
                    break;
                case "ea_doc_crc":
                    FlipVersion(ko, bytes, plain);
                    break;
                case "ea_doc_layout":
                    FlipVersion(ko, bytes, "module_layout");
                    break;
            }
            var target = Path.Combine(outDir, source.Name + ".ko");
            File.WriteAllBytes(target, bytes);
            modules.Add(target);
        }
        var image = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(Support.RealData.ModulesDir)))!;
        var vmlinuz = Directory.GetFiles(Path.Combine(image, "boot"), "vmlinuz-*").Single();
        var boot = QemuLoader.Boot(vmlinuz, modules, outDir);
        return new Fixture(modules, boot, $"{gpl} {plain} {ns[1]}");
    }

    private static readonly string[] ShimSuffixes = ["a", "b", "c", "d", "e", "f", "g", "h"];

    private static ModuleSource Module(string name, string license, string[] refs, string extra = "", bool split = false)
    {
        var files = new Dictionary<string, string>
        {
            [name + "_main.c"] = $"#include <linux/module.h>\nMODULE_LICENSE(\"{license}\");\n{extra}",
        };
        var objects = new List<string> { name + "_main.o" };
        var text = new StringBuilder();
        for (var i = 0; i < refs.Length; i++)
        {
            text.Append($"extern char {refs[i]}[];\nvoid *{name}_ref_{i}(void);\nvoid *{name}_ref_{i}(void) {{ return {refs[i]}; }}\n");
            if (split)
            {
                files[$"{name}_ref{i}.c"] = text.ToString();
                objects.Add($"{name}_ref{i}.o");
                text.Clear();
            }
        }
        if (!split)
        {
            files[name + "_refs.c"] = text.ToString();
            objects.Add(name + "_refs.o");
        }
        return new ModuleSource(name, files, $"obj-m += {name}.o\n{name}-y := {string.Join(' ', objects)}");
    }

    private static void ReplaceOnce(byte[] bytes, string from, string to)
    {
        var pattern = Encoding.ASCII.GetBytes(from);
        var replacement = Encoding.ASCII.GetBytes(to);
        Assert.Equal(pattern.Length, replacement.Length);
        var at = bytes.AsSpan().IndexOf(pattern);
        Assert.True(at >= 0, $"'{from}' not found");
        Assert.True(bytes.AsSpan(at + 1).IndexOf(pattern) < 0, $"'{from}' found twice");
        replacement.CopyTo(bytes, at);
    }

    // __versions entries are 64 bytes: an 8-byte CRC then the NUL-padded name. readelf says where the section is.
    private static void FlipVersion(string ko, byte[] bytes, string symbol)
    {
        var line = Proc.Output("readelf", "-SW", ko).Split('\n').Single(l => l.Contains(" __versions "));
        var fields = line[(line.IndexOf(']') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var offset = Convert.ToInt32(fields[3], 16);
        var size = Convert.ToInt32(fields[4], 16);
        for (var o = offset; o < offset + size; o += 64)
        {
            var name = Encoding.ASCII.GetString(bytes, o + 8, 56).TrimEnd('\0');
            if (name == symbol)
            {
                bytes[o] ^= 0x01;
                return;
            }
        }
        Assert.Fail($"{symbol} not in __versions of {ko}");
    }
}
