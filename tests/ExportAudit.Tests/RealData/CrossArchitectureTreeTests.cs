using System.Text.Json;
using ExportAudit.Diagnostics;
using ExportAudit.Ingest;
using ExportAudit.Ingest.Elf;
using ExportAudit.Model;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.RealData;

/// <summary>
/// Debian's s390x (ELF64 big-endian) and i386 (ELF32 little-endian) trees, each against the Module.symvers of
/// its own headers package: no findings, exports equal to the symvers rows, licenses equal to kmod's modinfo,
/// undefined symbols equal to binutils' nm, for every module.
/// </summary>
public class CrossArchitectureTreeTests
{
    [Theory]
    [InlineData("s390x", ElfView.EM_S390, true, false)]
    [InlineData("i386", ElfView.EM_386, false, true)]
    public void Tree_AgreesWithModpostModinfoAndNm(string arch, ushort machine, bool is64BigEndian, bool is32)
    {
        var (modulesDir, headers) = Support.RealData.Tree(arch);
        var r = Support.Cli.Run("check", "--kernel", headers, modulesDir, "--format", "json");
        Assert.Equal("", r.Stderr);
        Assert.Equal(0, r.ExitCode);
        using (var json = JsonDocument.Parse(r.Stdout))
        {
            Assert.Equal(0, json.RootElement.GetProperty("findings").GetArrayLength());
        }

        var errors = new InputErrors();
        var modules = new InputLoader(errors).LoadModules([modulesDir]).Modules;
        Assert.Empty(errors.Snapshot());
        Assert.True(modules.Count > 2000, $"{modules.Count} modules");
        Assert.All(modules, m => Assert.Equal(machine, m.Machine));
        var first = File.ReadAllBytes(modules[0].Path);
        Assert.Equal(is64BigEndian ? (byte)2 : (byte)1, first[5]); // EI_DATA
        Assert.Equal(is32 ? (byte)1 : (byte)2, first[4]);          // EI_CLASS

        var rows = File.ReadLines(Path.Combine(headers, "Module.symvers")).Select(l => l.Split('\t')).Where(f => f[2] != "vmlinux")
            .GroupBy(f => f[2]).ToDictionary(g => g.Key, g => g.Select(f => $"{f[1]} {f[3]} {f[4]} {f[0]}").Order(StringComparer.Ordinal).ToArray());
        Assert.Empty(modules.Where(m => !m.Exports.Select(e => $"{e.Name} {e.Kind.MacroName()} {e.Namespace} 0x{e.Crc:x8}")
            .Order(StringComparer.Ordinal).SequenceEqual(rows.GetValueOrDefault(m.ModpostName) ?? [])).Select(m => m.ModpostName));

        var nm = new Dictionary<string, List<string>>();
        var licenses = new Dictionary<string, List<string>>();
        foreach (var batch in modules.Select(m => m.Path).Chunk(500))
        {
            foreach (var file in batch)
            {
                nm[file] = [];
                licenses[file] = [];
            }
            foreach (var line in Proc.Output("nm", ["-p", "-u", "-A", .. batch]).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var colon = line.IndexOf(": ", StringComparison.Ordinal);
                var parts = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                nm[line[..colon]].Add((parts[0] is "w" or "v" ? "weak " : "") + parts[1]);
            }
            string? current = null;
            foreach (var field in Proc.Output("modinfo", ["-0", .. batch]).Split('\0'))
            {
                if (field.StartsWith("filename:", StringComparison.Ordinal))
                {
                    current = field["filename:".Length..].TrimStart(' ');
                }
                else if (field.StartsWith("license=", StringComparison.Ordinal) && current is not null)
                {
                    licenses[current].Add(field["license=".Length..]);
                }
            }
        }
        Assert.Empty(modules.Where(m => !nm[m.Path].SequenceEqual(m.Imports.Select(i => (i.Weak ? "weak " : "") + i.Name))).Select(m => m.Path));
        Assert.Empty(modules.Where(m => !licenses[m.Path].SequenceEqual(m.Licenses)).Select(m => m.Path));
    }
}
