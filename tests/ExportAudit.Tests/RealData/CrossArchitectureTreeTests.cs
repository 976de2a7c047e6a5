using System.Text.Json;
using ExportAudit.Diagnostics;
using ExportAudit.Ingest;
using ExportAudit.Ingest.Elf;
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
        Assert.Empty(Oracles.Disagreements(modules, Path.Combine(headers, "Module.symvers")));
    }
}
