using ExportAudit.Diagnostics;
using ExportAudit.Ingest.Config;
using ExportAudit.Ingest.Source;
using ExportAudit.Model;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.RealData;

/// <summary>
/// Debian's linux-source-6.1 and -6.12 scanned with the .config of the headers built from them and --arch x86,
/// against the Module.symvers of that build: how many of the real exports the scanner finds, and whether what
/// it finds agrees in GPL-only-ness and namespace. The misses are printed. Also 6.1 for s390x (--arch s390, the
/// s390x headers' .config and Module.symvers; those are of 6.1.176, the source of a later 6.1 point release):
/// its vm_get_page_prot is made by a parameterless wrapper, DECLARE_VM_GET_PAGE_PROT, in a file with no other export.
/// </summary>
public class SourceRecallTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("6.1")]
    [InlineData("6.12")]
    [InlineData("6.1-s390x")]
    public void Scan_FindsAtLeast995PercentOfTheBuiltExports_AndAgreesWithEveryOneItFinds(string series)
    {
        var (source, headers, arch) = series switch
        {
            "6.1" => (Support.RealData.Source61, Support.RealData.HeadersDir, "x86"),
            "6.12" => (Support.RealData.Source612, Support.RealData.Headers612Dir, "x86"),
            _ => (Support.RealData.Source61, Support.RealData.Tree("s390x").Headers, "s390"),
        };
        var errors = new InputErrors();
        var scan = new SourceScanner(errors, new SourceScanOptions { Config = KernelConfig.Read(Path.Combine(headers, ".config")), Arch = arch, Jobs = 2 }).Scan(source);
        Assert.DoesNotContain(errors.Snapshot(), e => e.Severity == Severity.Error);

        var found = scan.Exports.ToLookup(e => e.Symbol);
        var rows = File.ReadLines(Path.Combine(headers, "Module.symvers")).Select(l => l.Split('\t')).ToArray();
        var misses = rows.Where(r => !found.Contains(r[1])).ToArray();
        var disagree = rows.Where(r => found.Contains(r[1]) && !found[r[1]].Any(e => e.Kind.ReportType() == r[3] && (e.Namespace ?? "") == r[4])).ToArray();
        var recall = 100.0 * (rows.Length - misses.Length) / rows.Length;
        output.WriteLine($"{series}: {rows.Length} exports in Module.symvers, {rows.Length - misses.Length} found ({recall:F3} %), {disagree.Length} disagree");
        foreach (var miss in misses)
        {
            output.WriteLine($"  missed {miss[1]} ({miss[3]} {miss[4]}, {miss[2]})");
        }
        Assert.True(recall >= 99.5, $"recall {recall:F3} % < 99.5 %");
        if (arch == "s390")
        {
            Assert.Contains(found["vm_get_page_prot"], e => e.File == "arch/s390/mm/mmap.c");
        }
        else
        {
            // X-macro headers: cgroup.c's SUBSYS over linux/cgroup_subsys.h, retpoline.S's GEN over asm/GEN-for-each-reg.h.
            Assert.Contains(found["memory_cgrp_subsys_on_dfl_key"], e => e.File == "kernel/cgroup/cgroup.c");
            Assert.Contains(found["__x86_indirect_thunk_r15"], e => e.File == "arch/x86/lib/retpoline.S");
            Assert.DoesNotContain(misses, r => r[1].Contains("_cgrp_subsys_", StringComparison.Ordinal) || r[1].StartsWith("__x86_indirect_", StringComparison.Ordinal));
        }
        Assert.Empty(disagree.Select(r => $"{r[1]}: symvers {r[3]} {r[4]}, scan {string.Join("; ", found[r[1]].Select(e => $"{e.Kind.ReportType()} {e.Namespace} {e.File}:{e.Line}"))}"));
    }
}
