using System.Text.Json;
using ExportAudit.Diagnostics;
using ExportAudit.Ingest;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.RealData;

/// <summary>
/// `scan-source --calls` on Debian's linux-source-6.1 (with the headers' .config and --arch x86): the laundering
/// check over the real call graph, and the in-tree-user check against the Debian build's own modules — an export
/// no module of the Debian tree imports is what "no in-tree user" should mean for modules.
/// </summary>
public class SourceCallGraphOnLinuxTests(ITestOutputHelper output)
{
    [Fact]
    public void Linux61_LaunderingAndUnusedExports_AgainstTheDebianModulesImports()
    {
        var r = Support.Cli.Run("scan-source", Support.RealData.Source61, "--calls", "--kconfig", Path.Combine(Support.RealData.HeadersDir, ".config"),
            "--arch", "x86", "--format", "json");
        Assert.Equal("", r.Stderr);
        Assert.Equal(0, r.ExitCode); // laundering and unused exports are warnings and notes
        var findings = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("findings").EnumerateArray().ToArray();
        var byRule = findings.GroupBy(f => f.GetProperty("rule").GetString()!).ToDictionary(g => g.Key, g => g.ToArray());
        output.WriteLine(string.Join(", ", byRule.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value.Length}")));

        string[] Notes(string rule, string symbol) => byRule[rule].Single(f => f.GetProperty("symbol").GetString() == symbol)
            .GetProperty("evidence").GetProperty("notes").EnumerateArray().Select(n => n.GetString()!).ToArray();
        // 6.1's plain hmm_range_fault reaches walk_page_range, which no module may call (the seed's second point).
        Assert.Contains(Notes("EA3002", "hmm_range_fault"), n => n.StartsWith("hmm_range_fault (mm/hmm.c:", StringComparison.Ordinal) && n.EndsWith("-> walk_page_range (not exported, mm/pagewalk.c)", StringComparison.Ordinal));
        // A plain export reaching GPL-only exports through its file's static helpers.
        Assert.Contains(Notes("EA3001", "request_firmware_into_buf"), n => n.Contains("-> devres_find (EXPORT_SYMBOL_GPL", StringComparison.Ordinal));
        // The user-space stand-ins under tools/ (tools/lib/slab.c's kmalloc, a BPF selftest's printk, tools/virtio's
        // spin_lock) are not kernel functions: before they were left out, 1,138 EA3002 notes named these three.
        var unexportedTargets = byRule["EA3002"].SelectMany(f => f.GetProperty("evidence").GetProperty("notes").EnumerateArray())
            .Select(n => n.GetString()!).Select(n => n[(n.LastIndexOf("-> ", StringComparison.Ordinal) + 3)..])
            .Where(t => t.Contains(" (not exported", StringComparison.Ordinal)).Select(t => t[..t.IndexOf(' ')]).ToHashSet(StringComparer.Ordinal);
        Assert.DoesNotContain("kmalloc", unexportedTargets);
        Assert.DoesNotContain("printk", unexportedTargets);
        Assert.DoesNotContain("spin_lock", unexportedTargets);
        Assert.Contains("walk_page_range", unexportedTargets);
        // Debian's .config leaves mm/kmsan out: slab_common.c's calls go to the header's stubs. An export it does not
        // build is judged against the whole tree (infiniband's security.c without SECURITY_INFINIBAND reaching
        // security/security.c), but not for its own object's functions, as the Makefiles list it (mlxsw_core-objs:
        // core_env.c reaching core.c, MLXSW_CORE unset).
        Assert.DoesNotContain("kmsan_kmalloc_large", unexportedTargets);
        Assert.Contains(Notes("EA3002", "ib_create_qp_security"), n => n.EndsWith("-> security_ib_alloc_security (not exported, security/security.c)", StringComparison.Ordinal));
        Assert.DoesNotContain(byRule["EA3002"], f => f.GetProperty("symbol").GetString() == "mlxsw_env_get_module_info");
        // An object's own functions are its business, built in or a module: ACPICA's acpi_read_bit_register (acpi-y)
        // reaching hwregs.c, zstd_compress's zstd_reset_cstream reaching ZSTD_resetCStream.
        Assert.DoesNotContain(byRule["EA3002"], f => f.GetProperty("symbol").GetString() is "acpi_read_bit_register" or "zstd_reset_cstream");
        // agp_bind_memory's agp_bridge->driver->cache_flush() is a call through the bridge's ops, not of net/sunrpc's
        // GPL-only cache_flush.
        Assert.DoesNotContain(byRule["EA3001"], f => f.GetProperty("symbol").GetString() == "agp_bind_memory");
        // GPL-only exports are never reported as laundering.
        var symvers = File.ReadLines(Support.RealData.HeadersSymvers).Select(l => l.Split('\t')).ToDictionary(f => f[1], f => f[3]);
        Assert.DoesNotContain(byRule["EA3001"], f => symvers.GetValueOrDefault(f.GetProperty("symbol").GetString()!) == "EXPORT_SYMBOL_GPL");
        // Every reported export is the kind modpost wrote for the name, and a walk's finding is at its own file's export:
        // under Debian's .config kernel/rcu/tree.c's GPL-only rcu_barrier is the kernel's (tiny.c's plain one is TINY_RCU's),
        // and vmalloc is mm/vmalloc.c's, built in, not mm/nommu.c's (!MMU) with vmalloc.c's chain.
        Assert.All(findings.Where(f => symvers.ContainsKey(f.GetProperty("symbol").GetString()!)),
            f => Assert.Equal(symvers[f.GetProperty("symbol").GetString()!], f.GetProperty("evidence").GetProperty("export").GetProperty("type").GetString()));
        Assert.All(byRule["EA3001"].Concat(byRule["EA3002"]), f =>
            Assert.StartsWith($"{f.GetProperty("symbol").GetString()} ({f.GetProperty("location").GetProperty("file").GetString()}:", f.GetProperty("evidence").GetProperty("notes")[0].GetString()));
        Assert.Equal(findings.Length, findings.Select(f => f.GetProperty("fingerprint").GetString()).Distinct().Count());
        Assert.Contains(Notes("EA3001", "target_backend_unregister"), n => n.EndsWith("-> rcu_barrier (EXPORT_SYMBOL_GPL, kernel/rcu/tree.c:4106)", StringComparison.Ordinal));
        // A built export reaches only GPL-only exports the .config builds, so Module.symvers has each (not mutex-debug.c's
        // mutex_destroy, kmemleak's kmemleak_alloc: their headers' stubs are called); an unbuilt one is judged against the tree.
        Assert.All(byRule["EA3001"].Where(f => !f.GetProperty("module").GetString()!.Contains('/')), f =>
            Assert.All(f.GetProperty("evidence").GetProperty("notes").EnumerateArray().Select(n => n.GetString()!).Where(n => n.Contains(" (EXPORT_SYMBOL_GPL", StringComparison.Ordinal)),
                n => Assert.Equal("EXPORT_SYMBOL_GPL", symvers.GetValueOrDefault(n[(n.LastIndexOf("-> ", StringComparison.Ordinal) + 3)..n.IndexOf(" (EXPORT_SYMBOL_GPL", StringComparison.Ordinal)]))));
        var vmalloc = byRule["EA3002"].Single(f => f.GetProperty("symbol").GetString() == "vmalloc");
        Assert.Equal(("vmlinux", "mm/vmalloc.c"), (vmalloc.GetProperty("module").GetString(), vmalloc.GetProperty("location").GetProperty("file").GetString()));

        // The oracle for "no in-tree user": the imports of every module Debian built from this tree.
        var errors = new InputErrors();
        var imported = new InputLoader(errors).LoadModules([Support.RealData.ModulesDir]).Modules.SelectMany(m => m.Imports).Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var unused = byRule["EA3003"].Select(f => f.GetProperty("symbol").GetString()!).ToArray();
        var importedAnyway = unused.Where(imported.Contains).ToArray();
        output.WriteLine($"{unused.Length} exports without an in-tree user; {importedAnyway.Length} of them are imported by a Debian module (users the scanner cannot see: names pasted with ##, calls inside asm strings, compiler-generated calls):");
        output.WriteLine(string.Join(" ", importedAnyway));
        Assert.True(unused.Length > 1000, "6.1 has exports only out-of-tree code uses");
        Assert.True(importedAnyway.Length * 100 <= unused.Length * 3, $"{importedAnyway.Length} of {unused.Length} 'unused' exports are imported by a Debian module: more than 3 %");
        // Used only as file-scope macro arguments: `static SIMPLE_DEV_PM_OPS(rtl92ce_pm_ops, rtl_pci_suspend, rtl_pci_resume)`,
        // `__ATTR(caps_start, 0644, spk_var_show, spk_var_store)`, a tracepoint header's TP_fast_assign(… blk_fill_rwbs(…)).
        Assert.DoesNotContain("rtl_pci_suspend", unused);
        Assert.DoesNotContain("spk_var_show", unused);
        Assert.DoesNotContain("blk_fill_rwbs", unused);
        Assert.Contains("__stack_chk_fail", importedAnyway); // compiler-generated: known and accepted
    }

    [Fact]
    public void AVendorDriversSource_AgainstDebiansHeaders_ReachesWhatTheirModuleSymversMakesGplOnly()
    {
        // HMM's 4.19 laundering, out of tree: a plain export handing devm_memremap_pages (GPL-only in 6.1) to every module.
        using var dir = new TempDir();
        dir.Write("vendor.c", "#include <linux/memremap.h>\n#include <linux/module.h>\n" +
            "static void *map(struct device *dev, struct dev_pagemap *pgmap)\n{\n\treturn devm_memremap_pages(dev, pgmap);\n}\n" +
            "void *vendor_map(struct device *dev, struct dev_pagemap *pgmap)\n{\n\treturn map(dev, pgmap);\n}\nEXPORT_SYMBOL(vendor_map);\n" +
            "MODULE_LICENSE(\"Proprietary\");\n");
        var r = Support.Cli.Run("scan-source", dir.Path, "--calls", "--kernel", Support.RealData.HeadersDir, "--format", "json");
        Assert.Equal(("", 0), (r.Stderr, r.ExitCode));
        var laundering = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("findings").EnumerateArray().Single(f => f.GetProperty("rule").GetString() == "EA3001");
        Assert.Equal("vendor_map", laundering.GetProperty("symbol").GetString());
        Assert.Equal(["vendor_map (vendor.c:7) -> map (vendor.c:3) -> devm_memremap_pages (EXPORT_SYMBOL_GPL)", "calls: 1, statements: 1", "thin-wrapper rank: 1 of 1"],
            laundering.GetProperty("evidence").GetProperty("notes").EnumerateArray().Select(n => n.GetString()!).ToArray());
    }

    [Fact]
    public void AGplShimsPlainExports_ThroughTheHeadersInlines_ReachWhatModpostDeniesAProprietaryModule()
    {
        // A shim of the NVIDIA/ZFS kind: GPL, re-exporting kernel functionality plainly, here through two of Debian's
        // 6.1 header inlines. The oracle: kbuild's modpost on the same code built as a Proprietary module.
        string Shim(string license) => "#include <linux/percpu-refcount.h>\n#include <linux/rcupdate.h>\n#include <linux/module.h>\n" +
            "void shim_kill(struct percpu_ref *ref)\n{\n\tpercpu_ref_kill(ref);\n}\nEXPORT_SYMBOL(shim_kill);\n" +
            "void shim_lock(void)\n{\n\trcu_read_lock();\n}\nEXPORT_SYMBOL(shim_lock);\n" +
            $"MODULE_LICENSE(\"{license}\");\n";
        using var gpl = new TempDir();
        gpl.Write("shim.c", Shim("GPL"));
        var r = Support.Cli.Run("scan-source", gpl.Path, "--calls", "--kernel", Support.RealData.HeadersDir, "--format", "json");
        Assert.Equal(("", 0), (r.Stderr, r.ExitCode));
        var laundering = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("findings").EnumerateArray().Where(f => f.GetProperty("rule").GetString() == "EA3001")
            .ToDictionary(f => f.GetProperty("symbol").GetString()!, f => f.GetProperty("message").GetString()!);
        Assert.Equal("EXPORT_SYMBOL(shim_kill) reaches GPL-only percpu_ref_kill_and_confirm", laundering["shim_kill"]);
        Assert.Equal("EXPORT_SYMBOL(shim_lock) reaches GPL-only __rcu_read_lock", laundering["shim_lock"]);

        var build = KbuildBuild.Build(Support.RealData.HeadersDir, "laundering-shim",
            [new ModuleSource("ea_shim", new Dictionary<string, string> { ["ea_shim.c"] = Shim("Proprietary") }, "obj-m += ea_shim.o")]);
        Assert.Equal(["ERROR: modpost: GPL-incompatible module ea_shim.ko uses GPL-only symbol '__rcu_read_lock'",
            "ERROR: modpost: GPL-incompatible module ea_shim.ko uses GPL-only symbol 'percpu_ref_kill_and_confirm'"],
            build.ModpostLines.Order(StringComparer.Ordinal));
    }
}
