using ExportAudit.Diagnostics;
using ExportAudit.Ingest;
using ExportAudit.Model;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.RealData;

/// <summary>
/// Debian's /boot/vmlinuz as a kernel source: the stripped vmlinux inside the bzImage is found and its export
/// tables decoded; every export must equal the vmlinux rows of the Module.symvers built with it (name, GPL-only,
/// namespace, CRC).
/// </summary>
public class VmlinuzTests
{
    [Theory]
    [InlineData("6.1")]
    [InlineData("6.12")]
    public void VmlinuzExports_EqualTheVmlinuxRowsOfItsModuleSymvers(string series)
    {
        var (modules, headers) = series == "6.1"
            ? (Support.RealData.ModulesDir, Support.RealData.HeadersDir)
            : (Support.RealData.Modules612Dir, Support.RealData.Headers612Dir);
        var image = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(modules)))!;
        var vmlinuz = Directory.GetFiles(Path.Combine(image, "boot"), "vmlinuz-*").Single();
        var errors = new InputErrors();
        var source = new InputLoader(errors).LoadKernel(vmlinuz);
        Assert.Empty(errors.Snapshot());
        Assert.NotNull(source);
        Assert.Equal("vmlinuz", source.Kind);
        var ours = source.Exports.Select(e => $"{e.Name} {e.Kind.MacroName()} {e.Namespace} 0x{e.Crc:x8}").Order(StringComparer.Ordinal).ToArray();
        var theirs = File.ReadLines(Path.Combine(headers, "Module.symvers")).Select(l => l.Split('\t')).Where(f => f[2] == "vmlinux")
            .Select(f => $"{f[1]} {f[3]} {f[4]} {f[0]}").Order(StringComparer.Ordinal).ToArray();
        Assert.True(theirs.Length > 10_000);
        Assert.Equal(theirs, ours);
    }

    [Fact]
    public void VmlinuzAndTheTree_AreAKernelWithoutModuleSymvers()
    {
        // What a user has on a machine without headers: /boot/vmlinuz and /lib/modules/VERSION.
        var image = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(Support.RealData.ModulesDir)))!;
        var vmlinuz = Directory.GetFiles(Path.Combine(image, "boot"), "vmlinuz-*").Single();
        var r = Support.Cli.Run("check", "--kernel", vmlinuz, "--kernel", Support.RealData.ModulesDir, Support.RealData.ModulesDir, "--format", "modpost");
        Assert.Equal("", r.Stderr);
        Assert.Equal("", r.Stdout);
        Assert.Equal(0, r.ExitCode);
    }
}
