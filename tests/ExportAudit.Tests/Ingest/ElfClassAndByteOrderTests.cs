using ExportAudit.Diagnostics;
using ExportAudit.Ingest;
using ExportAudit.Model;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Ingest;

/// <summary>
/// All four ELF class and byte-order combinations, from generated fixtures (Debian has no ELF32 big-endian
/// kernel; the real trees of the other three are in RealData). readelf and modinfo are the oracles.
/// </summary>
public class ElfClassAndByteOrderTests
{
    [Theory]
    [InlineData(false, false, (ushort)3)]   // ELF32 LE (i386)
    [InlineData(false, true, (ushort)8)]    // ELF32 BE (MIPS)
    [InlineData(true, false, (ushort)62)]   // ELF64 LE (x86-64)
    [InlineData(true, true, (ushort)22)]    // ELF64 BE (s390)
    public void Fixture_ReadsTheSameInEveryClassAndByteOrder(bool is64, bool bigEndian, ushort machine)
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "fixture.ko");
        File.WriteAllBytes(path, ElfFixture.Build(is64, bigEndian, machine));
        var errors = new InputErrors();
        var module = Assert.Single(new InputLoader(errors).LoadModules([path]).Modules);
        Assert.Empty(errors.Snapshot());

        Assert.Equal("fixture", module.Name);
        Assert.Equal(["GPL", "Proprietary"], module.Licenses);
        Assert.Equal(["FIX_NS"], module.ImportNamespaces);
        Assert.Equal(["dep_a", "dep_b"], module.Depends);
        Assert.Equal(["printk", "maybe_there", "__this_module"], module.Imports.Select(i => i.Name));
        Assert.Equal([false, true, false], module.Imports.Select(i => i.Weak));
        var export = Assert.Single(module.Exports);
        Assert.Equal(("fixture_fn", ExportKind.GplOnly, "FIX_EXPORT_NS"), (export.Name, export.Kind, export.Namespace));
        Assert.Equal(VersionsState.Present, module.VersionsState);
        Assert.Equal([new KeyValuePair<string, uint>("module_layout", 0x1234abcd)], module.Versions);
        Assert.Equal(machine, module.Machine);

        // The oracles read the same file the same way.
        Assert.Equal("GPL\nProprietary\n", Proc.Output("modinfo", "-F", "license", path));
        var readelf = Proc.Output("readelf", "-sW", path).Split('\n').Where(l => l.Contains(" UND ") && !l.TrimEnd().EndsWith(" UND")).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1]).ToArray();
        Assert.Equal(["printk", "maybe_there", "__this_module"], readelf);
    }

    public static TheoryData<string, Func<byte[], byte[]>, string> Damage => new()
    {
        { "truncated header", b => b[..30], "ELF: truncated ELF header" },
        { "empty", _ => [], "ELF: not an ELF file" },
        { "not ELF", b => [.. "MZ"u8.ToArray(), .. b[2..]], "ELF: not an ELF file" },
        { "bad class", b => { var c = (byte[])b.Clone(); c[4] = 7; return c; }, "ELF: bad ELF class 7" },
        { "bad byte order", b => { var c = (byte[])b.Clone(); c[5] = 0; return c; }, "ELF: bad ELF data encoding 0" },
        { "section headers past the end", b => { var c = (byte[])b.Clone(); c[40] = 0xff; c[41] = 0xff; c[42] = 0xff; return c; }, "past the end of the file" },
        { "absurd section count", b => { var c = (byte[])b.Clone(); c[60] = 0xff; c[61] = 0x7f; return c; }, "section headers do not fit" },
        { "cut in the middle", b => b[..(b.Length / 2)], "ELF:" },
    };

    [Theory]
    [MemberData(nameof(Damage))]
    public void DamagedModule_IsOneErrorNamingTheFile_AndTheOtherInputIsStillAudited(string what, Func<byte[], byte[]> damage, string expected)
    {
        using var dir = new TempDir();
        var bad = Path.Combine(dir.Path, "bad.ko");
        File.WriteAllBytes(bad, damage(ElfFixture.Build(true, false, 62)));
        var good = Path.Combine(dir.Path, "good.ko");
        File.WriteAllBytes(good, ElfFixture.Build(true, false, 62));
        var r = Support.Cli.Run("check", "--kernel", TestPaths.Sample("kernels", "hmm-4.19-before.yaml"), bad, good, "--format", "json");
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"exportaudit: {bad}", line);
        Assert.Contains(expected, line);
        Assert.Contains("\"modules\": 1", r.Stdout);
        Assert.Contains("\"EA9001\"", r.Stdout);
        Assert.True(what.Length > 0);
    }
}
