using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.RealData;

/// <summary>
/// Real out-of-tree modules written here and built by kbuild against Debian's headers: modpost's own
/// output in the same run is the expectation, and the manifests ExportAudit reads are written by kmod's
/// modinfo, nm and objdump from the real objects. Nothing on either side is a copy kept in the repository.
/// </summary>
public class KbuildModpostOracleTests
{
    private static readonly Lazy<(KbuildBuild Build, Symbols Symbols)> Built = new(BuildAll);

    /// <summary>The oracle's modules as kbuild built them (their sources are beside the objects).</summary>
    internal static KbuildBuild OracleBuild => Built.Value.Build;

    public sealed record Symbols(string Plain, string GplOnly, string Namespaced, string Namespace);

    [Fact]
    public void CheckFormatModpost_PrintsExactlyModpostsLines()
    {
        var (build, _) = Built.Value;
        var manifests = WriteManifests(build, build.Objects);
        var r = Support.Cli.Run(["check", "--kernel", Support.RealData.HeadersDir, "--format", "modpost", .. manifests]);
        var oracle = build.ModpostLines;
        Assert.True(oracle.Count >= 10, "modpost printed too little to compare:\n" + build.ModpostOutput);
        Assert.Equal(string.Join("\n", oracle), r.Stdout.TrimEnd('\n'));
        Assert.Equal(1, r.ExitCode);
    }

    [Fact]
    public void CheckOnTheKbuildDirectory_ReadsTheObjectsModpostRead_AndPrintsExactlyItsLines()
    {
        var (build, _) = Built.Value;
        var r = Support.Cli.Run("check", "--kernel", Support.RealData.HeadersDir, "--format", "modpost", build.Directory);
        Assert.Equal("", r.Stderr);
        Assert.Equal(string.Join("\n", build.ModpostLines), r.Stdout.TrimEnd('\n'));
        Assert.Equal(1, r.ExitCode);
    }

    [Fact]
    public void CheckOnTheObjectFiles_GivenOneByOne_PrintsExactlyModpostsLines()
    {
        var (build, _) = Built.Value;
        var r = Support.Cli.Run(["check", "--kernel", Support.RealData.HeadersDir, "--format", "modpost", .. build.Objects]);
        Assert.Equal(string.Join("\n", build.ModpostLines), r.Stdout.TrimEnd('\n'));
    }

    [Fact]
    public void TheOracleCoversEveryBuildRule()
    {
        var lines = string.Join("\n", Built.Value.Build.ModpostLines);
        var s = Built.Value.Symbols;
        Assert.Contains($"GPL-incompatible module ea_prop.ko uses GPL-only symbol '{s.GplOnly}'", lines);
        Assert.Contains($"GPL-incompatible module ea_gpl20.ko uses GPL-only symbol '{s.GplOnly}'", lines);
        Assert.Contains($"GPL-incompatible module ea_gplspace.ko uses GPL-only symbol '{s.GplOnly}'", lines);
        Assert.Contains($"GPL-incompatible module ea_twolic.ko uses GPL-only symbol '{s.GplOnly}'", lines);
        Assert.Contains("GPL-incompatible module ea_propuser.ko uses GPL-only symbol 'ea_propexp_gplfn'", lines);
        Assert.DoesNotContain("ea_dualmit", lines);
        Assert.DoesNotContain("ea_gplshim", lines);
        Assert.DoesNotContain("ea_ns_imported", lines);
        Assert.Contains($"module ea_ns_missing uses symbol {s.Namespaced} from namespace {s.Namespace}, but does not import it.", lines);
        Assert.Contains("missing MODULE_LICENSE() in ", lines);
        Assert.Contains("undefined!", lines);
        Assert.Contains("suppressed 2 unresolved symbol warnings because there were too many)", lines);
        Assert.DoesNotContain("ea_weak_missing", lines);
    }

    [Fact]
    public void SimulateLoad_PredictsTheShimRefusal()
    {
        var (build, s) = Built.Value;
        var manifests = WriteManifests(build, [build.Object("ea_propexp"), build.Object("ea_gplshim")]);
        var r = Support.Cli.Run(["simulate-load", "--kernel", Support.RealData.HeadersDir, "--format", "json", .. manifests]);
        Assert.Equal(1, r.ExitCode);
        var imports = Proc.Output("nm", "-p", "-u", build.Object("ea_gplshim")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]).ToList();
        var gplFirst = imports.IndexOf(s.GplOnly) < imports.IndexOf("ea_propexp_fn");
        // Which line the loader prints depends on symbol-table order: both orders are the kernel's semantics.
        if (gplFirst)
        {
            Assert.Contains("ea_gplshim: module using GPL-only symbols uses symbols ea_propexp_fn from proprietary module ea_propexp.", r.Stdout);
            Assert.Contains("ea_gplshim: Unknown symbol ea_propexp_fn (err -2)", r.Stdout);
        }
        else
        {
            Assert.Contains("ea_gplshim: module uses symbols ea_propexp_fn from proprietary module ea_propexp, inheriting taint.", r.Stdout);
            Assert.Contains($"ea_gplshim: Unknown symbol {s.GplOnly} (err -2)", r.Stdout);
        }
        Assert.Contains("\"outcome\": \"refused\"", r.Stdout);
        Assert.Contains("ea_propexp: module license 'Proprietary' taints kernel.", r.Stdout);
    }

    private static string[] WriteManifests(KbuildBuild build, IEnumerable<string> objects)
    {
        // Beside the build, not in it: the build directory is itself an INPUT in other tests.
        var dir = build.Directory + "-manifests";
        Directory.CreateDirectory(dir);
        var paths = new List<string>();
        foreach (var obj in objects)
        {
            var path = Path.Combine(dir, Path.GetFileNameWithoutExtension(obj) + ".yaml");
            File.WriteAllText(path, OracleManifest.FromObject(obj));
            paths.Add(path);
        }
        return paths.ToArray();
    }

    private static (KbuildBuild, Symbols) BuildAll()
    {
        var headers = Support.RealData.HeadersDir;
        var symbols = PickSymbols(Support.RealData.HeadersSymvers);
        var modules = new List<ModuleSource>
        {
            Module("ea_prop", "Proprietary", [symbols.Plain, symbols.GplOnly]),
            Module("ea_gpl20", "GPL-2.0", [symbols.GplOnly]),
            Module("ea_gplspace", "GPL ", [symbols.GplOnly]),
            Module("ea_dualmit", "Dual MIT/GPL", [symbols.GplOnly]),
            Module("ea_ns_missing", "GPL", [symbols.Namespaced]),
            Module("ea_ns_imported", "GPL", [symbols.Namespaced], extra: $"MODULE_IMPORT_NS({symbols.Namespace});\n"),
            Module("ea_unresolved", "GPL", Enumerable.Range(0, 12).Select(i => $"ea_missing_{i:00}").ToArray(), weak: ["ea_weak_missing"]),
            Module("ea_nolicense", null, [symbols.GplOnly]),
            TwoLicenses(symbols),
            Module("ea_propexp", "Proprietary", [symbols.Plain], extra:
                "int ea_propexp_fn(void);\nint ea_propexp_fn(void) { return 1; }\nEXPORT_SYMBOL(ea_propexp_fn);\n" +
                "int ea_propexp_gplfn(void);\nint ea_propexp_gplfn(void) { return 2; }\nEXPORT_SYMBOL_GPL(ea_propexp_gplfn);\n"),
            Module("ea_gplshim", "GPL", [symbols.GplOnly, "ea_propexp_fn"]),
            Module("ea_propuser", "Proprietary", ["ea_propexp_gplfn"]),
        };
        return (KbuildBuild.Build(headers, "modpost-oracle", modules), symbols);
    }

    private static ModuleSource Module(string name, string? license, string[] refs, string extra = "", string[]? weak = null)
    {
        var main = "#include <linux/module.h>\n" + (license is null ? "" : $"MODULE_LICENSE(\"{license}\");\n") + extra;
        return new ModuleSource(name, new Dictionary<string, string>
        {
            [name + "_main.c"] = main,
            [name + "_refs.c"] = Refs(name, refs, weak ?? []),
        }, $"obj-m += {name}.o\n{name}-y := {name}_main.o {name}_refs.o");
    }

    private static ModuleSource TwoLicenses(Symbols symbols) => new("ea_twolic", new Dictionary<string, string>
    {
        ["ea_twolic_a.c"] = "#include <linux/module.h>\nMODULE_LICENSE(\"GPL\");\n",
        ["ea_twolic_b.c"] = "#include <linux/module.h>\nMODULE_LICENSE(\"Proprietary\");\n",
        ["ea_twolic_refs.c"] = Refs("ea_twolic", [symbols.GplOnly], []),
    }, "obj-m += ea_twolic.o\nea_twolic-y := ea_twolic_a.o ea_twolic_b.o ea_twolic_refs.o");

    // No #include: these declarations are the only ones the compiler sees, so no header can disagree
    // with them. Each symbol becomes an undefined symbol of the object, in this order.
    private static string Refs(string module, string[] refs, string[] weak)
    {
        var text = new System.Text.StringBuilder();
        var i = 0;
        foreach (var (symbol, isWeak) in refs.Select(r => (r, false)).Concat(weak.Select(w => (w, true))))
        {
            text.Append($"extern char {symbol}[]{(isWeak ? " __attribute__((weak))" : "")};\n");
            text.Append($"void *{module}_ref_{i}(void);\nvoid *{module}_ref_{i}(void) {{ return {symbol}; }}\n");
            i++;
        }
        return text.ToString();
    }

    // Picked from the file, not hard-coded: names that are plain C identifiers with an underscore, so they
    // cannot collide with a compiler builtin.
    private static Symbols PickSymbols(string symvers)
    {
        var rows = File.ReadLines(symvers).Select(l => l.Split('\t'))
            .Where(f => f.Length == 5 && f[2] == "vmlinux" && System.Text.RegularExpressions.Regex.IsMatch(f[1], "^[a-z][a-z0-9]*_[a-z0-9_]+$"))
            .ToArray();
        string Prefer(string preferred, Func<string[], bool> fits) =>
            rows.FirstOrDefault(f => f[1] == preferred && fits(f))?[1] ?? rows.First(fits)[1];
        var gpl = Prefer("region_intersects", f => f[3] == "EXPORT_SYMBOL_GPL" && f[4] == "");
        var plain = Prefer("kmalloc_caches", f => f[3] == "EXPORT_SYMBOL" && f[4] == "");
        var ns = rows.First(f => f[4] != "" && f[3] == "EXPORT_SYMBOL_GPL");
        return new Symbols(plain, gpl, ns[1], ns[4]);
    }
}
