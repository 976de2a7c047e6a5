using System.Text.Json;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Source;

/// <summary>`scan-source DIR --calls`: the call graph of C sources, laundering through a file's helpers, in-tree users.</summary>
public class SourceCallGraphTests
{
    private static (int Exit, JsonElement[] Findings, string Stderr) Calls(string dir, params string[] extra)
    {
        var r = Support.Cli.Run(["scan-source", dir, "--calls", "--format", "json", .. extra]);
        return (r.ExitCode, r.Stdout.Length == 0 ? [] : JsonDocument.Parse(r.Stdout).RootElement.GetProperty("findings").EnumerateArray().ToArray(), r.Stderr);
    }

    private static string[] Rules(JsonElement[] findings, string rule) =>
        findings.Where(f => f.GetProperty("rule").GetString() == rule).Select(f => f.GetProperty("symbol").GetString()!).Order(StringComparer.Ordinal).ToArray();

    private static string[] Notes(JsonElement[] findings, string rule, string symbol) =>
        findings.Single(f => f.GetProperty("rule").GetString() == rule && f.GetProperty("symbol").GetString() == symbol)
            .GetProperty("evidence").GetProperty("notes").EnumerateArray().Select(n => n.GetString()!).ToArray();

    [Fact]
    public void SampleTree_TheHmmEntryPointsLaunderDevmMemremapPages_AndHaveNoInTreeUser_UntilTheSeedPatch()
    {
        var (exit, findings, stderr) = Calls(TestPaths.Sample("trees", "hmm-4.19"));
        Assert.Equal(("", 0), (stderr, exit));
        Assert.Equal(["hmm_devmem_add", "hmm_devmem_add_resource"], Rules(findings, "EA3001"));
        Assert.Equal(["hmm_devmem_add", "hmm_devmem_add_resource"], Rules(findings, "EA3003"));
        Assert.Contains("hmm_devmem_add (mm/hmm.c:25) -> devm_memremap_pages (EXPORT_SYMBOL_GPL, kernel/memremap.c:12)", Notes(findings, "EA3001", "hmm_devmem_add"));
        Assert.Equal("mm/hmm.c", findings.First(f => f.GetProperty("rule").GetString() == "EA3001").GetProperty("module").GetString());

        // The tree after the seed patch: GPL-only, no longer laundering.
        using var dir = new TempDir();
        foreach (var file in Directory.GetFiles(TestPaths.Sample("trees", "hmm-4.19"), "*", SearchOption.AllDirectories))
        {
            var text = File.ReadAllText(file).Replace("EXPORT_SYMBOL(hmm_devmem_add", "EXPORT_SYMBOL_GPL(hmm_devmem_add");
            dir.Write(Path.GetRelativePath(TestPaths.Sample("trees", "hmm-4.19"), file), text);
        }
        Assert.Empty(Rules(Calls(dir.Path).Findings, "EA3001"));
    }

    [Fact]
    public void StaticHelpersOfTheSameFile_UpToTheDepth_OtherFilesHelpersAreNotTheirs()
    {
        using var dir = new TempDir();
        dir.Write("core/gpl.c", "int gpl_facility(int x) { return x; }\nEXPORT_SYMBOL_GPL(gpl_facility);\nint core_internal(void) { return 0; }\n");
        dir.Write("drv/wrap.c",
            "static int inner(int x) { return gpl_facility(x); }\n" +
            "static int outer(int x) { return inner(x) + 1; }\n" +
            "int deep_wrapper(int x) { return outer(x); }\nEXPORT_SYMBOL(deep_wrapper);\n" +
            "int thin_wrapper(int x) { return gpl_facility(x); }\nEXPORT_SYMBOL(thin_wrapper);\n" +
            "int core_user(void) { return core_internal(); }\nEXPORT_SYMBOL(core_user);\n" +
            "int clean(int x) { return helper(x); }\nEXPORT_SYMBOL(clean);\n");
        // A static function of the same name in another file is not clean()'s helper.
        dir.Write("other/helper.c", "static int helper(int x) { return gpl_facility(x); }\nstatic int use(void) { return thin_wrapper(1) + deep_wrapper(2) + core_user() + clean(3); }\n");

        var (_, findings, _) = Calls(dir.Path);
        Assert.Equal(["deep_wrapper", "thin_wrapper"], Rules(findings, "EA3001"));
        Assert.Contains("deep_wrapper (drv/wrap.c:3) -> outer (drv/wrap.c:2) -> inner (drv/wrap.c:1) -> gpl_facility (EXPORT_SYMBOL_GPL, core/gpl.c:2)", Notes(findings, "EA3001", "deep_wrapper"));
        Assert.Equal(["core_user"], Rules(findings, "EA3002"));
        Assert.Empty(Rules(findings, "EA3003")); // each export is used by another file
    }

    [Fact]
    public void ANameSeveralFilesExport_EachFilesFunctionIsJudgedByItsOwnExport_AndReportedThere()
    {
        // A tree's architectures each export memcpy_fromio (6.1 without --arch: alpha's io.c, x86's iomem.c, ...), and
        // only x86's calls the GPL-only cc_platform_has: the finding is x86's, at its export, as that file's module
        // (it was once alpha's, the table's first, with x86's chain), and each file's finding has its own fingerprint.
        using var dir = new TempDir();
        dir.Write("gpl.c", "int gpl_facility(int x) { return x; }\nEXPORT_SYMBOL_GPL(gpl_facility);\n");
        dir.Write("a_plain.c", "int twice(int x) { return x; }\nEXPORT_SYMBOL(twice);\n");
        // GPL-only here: no module reaches this body through a plain export, whatever another file exports.
        dir.Write("b_gpl.c", "static int inner(int x) { return gpl_facility(x); }\nint twice(int x) { return inner(x); }\nEXPORT_SYMBOL_GPL(twice);\n");
        dir.Write("c_plain.c", "/* c */\nint twice(int x) { return gpl_facility(x); }\nEXPORT_SYMBOL(twice);\n");
        dir.Write("d_plain.c", "static int inner(int x) { return gpl_facility(x); }\nint twice(int x) { return inner(x); }\n\nEXPORT_SYMBOL(twice);\n");
        var (_, findings, stderr) = Calls(dir.Path);
        Assert.Equal("", stderr);
        var laundering = findings.Where(f => f.GetProperty("rule").GetString() == "EA3001").ToArray();
        Assert.Equal([("c_plain.c", "c_plain.c", 3, "twice (c_plain.c:2) -> gpl_facility (EXPORT_SYMBOL_GPL, gpl.c:2)"),
                ("d_plain.c", "d_plain.c", 4, "twice (d_plain.c:2) -> inner (d_plain.c:1) -> gpl_facility (EXPORT_SYMBOL_GPL, gpl.c:2)")],
            laundering.Select(f => (f.GetProperty("module").GetString(), f.GetProperty("location").GetProperty("file").GetString(), f.GetProperty("location").GetProperty("line").GetInt32(),
                f.GetProperty("evidence").GetProperty("notes")[0].GetString())).OrderBy(f => f.Item1, StringComparer.Ordinal).ToArray());
        Assert.Equal(2, laundering.Select(f => f.GetProperty("fingerprint").GetString()).Distinct().Count());
        Assert.All(laundering, f => Assert.Equal("EXPORT_SYMBOL(twice) reaches GPL-only gpl_facility", f.GetProperty("message").GetString()));
    }

    [Fact]
    public void WithAConfig_TheExportItBuildsStandsForTheName()
    {
        // 6.1 under Debian's .config: kernel/rcu/tree.c's EXPORT_SYMBOL_GPL(rcu_barrier) is the kernel's (Module.symvers
        // says so), not tiny.c's plain one, which only TINY_RCU builds: target_backend_unregister's call to it launders.
        // And vmalloc is mm/vmalloc.c's, owned by vmlinux, not mm/nommu.c's (!MMU): so says its no-user warning.
        using var dir = new TempDir();
        dir.Write("Kbuild", "obj-y += kernel/ mm/ drivers/\n");
        dir.Write("kernel/Makefile", "obj-$(CONFIG_TREE_RCU) += tree.o\nobj-$(CONFIG_TINY_RCU) += tiny.o\n");
        dir.Write("kernel/tiny.c", "void rcu_barrier(void) { }\nEXPORT_SYMBOL(rcu_barrier);\n");
        dir.Write("kernel/tree.c", "void rcu_barrier(void) { wait(); }\nEXPORT_SYMBOL_GPL(rcu_barrier);\n");
        dir.Write("mm/Makefile", "obj-$(CONFIG_MMU) += vmalloc.o\nobj-$(CONFIG_NOMMU) += nommu.o\n");
        dir.Write("mm/nommu.c", "void *vmalloc(unsigned long size) { return 0; }\nEXPORT_SYMBOL(vmalloc);\n");
        dir.Write("mm/vmalloc.c", "void *vmalloc(unsigned long size) { return 0; }\nEXPORT_SYMBOL(vmalloc);\n");
        dir.Write("drivers/Makefile", "obj-m += target.o\n");
        dir.Write("drivers/target.c", "void target_unregister(void) { rcu_barrier(); }\nEXPORT_SYMBOL(target_unregister);\n");
        var config = dir.Write(".config", "CONFIG_TREE_RCU=y\nCONFIG_MMU=y\n");
        var (_, findings, stderr) = Calls(dir.Path, "--kconfig", config, "--arch", "x86");
        Assert.Equal("", stderr);
        Assert.Equal("target_unregister (drivers/target.c:1) -> rcu_barrier (EXPORT_SYMBOL_GPL, kernel/tree.c:2)", Notes(findings, "EA3001", "target_unregister")[0]);
        var unused = findings.Single(f => f.GetProperty("rule").GetString() == "EA3003" && f.GetProperty("symbol").GetString() == "vmalloc");
        Assert.Equal(("vmlinux", "mm/vmalloc.c"), (unused.GetProperty("module").GetString(), unused.GetProperty("location").GetProperty("file").GetString()));
    }

    [Fact]
    public void ACallThroughAStructMember_IsNotACallOfTheFunctionOfThatName()
    {
        // agp_bind_memory's `agp_bridge->driver->cache_flush()` in 6.1 is not net/sunrpc's GPL-only cache_flush.
        using var dir = new TempDir();
        dir.Write("gpl.c", "int gpl_facility(int x) { return x; }\nEXPORT_SYMBOL_GPL(gpl_facility);\n");
        dir.Write("wrap.c",
            "int by_arrow(struct ops *o) { return o->gpl_facility(1) + o -> gpl_facility(2); }\nEXPORT_SYMBOL(by_arrow);\n" +
            "int by_dot(struct ops o) { return o.gpl_facility(1) + o.\n\tgpl_facility(2); }\nEXPORT_SYMBOL(by_dot);\n" +
            // After `x--`, '>' compares: the call is gpl_facility's own; so is `x - -gpl_facility(1)`'s.
            "int compares(int x) { return x-- > gpl_facility(x); }\nEXPORT_SYMBOL(compares);\n" +
            "int negates(int x) { return x - -gpl_facility(x); }\nEXPORT_SYMBOL(negates);\n" +
            "int arrow_after_decrement(struct ops *o) { return (o--)->gpl_facility(1); }\nEXPORT_SYMBOL(arrow_after_decrement);\n");
        var (_, findings, stderr) = Calls(dir.Path);
        Assert.Equal("", stderr);
        Assert.Equal(["compares", "negates"], Rules(findings, "EA3001"));
    }

    [Fact]
    public void UserSpaceProgramsOfTheTree_DefineNoKernelFunctions_ButTheirUsesCount()
    {
        // 6.1's tools/lib/slab.c defines a kmalloc for its user-space tests; the kernel's is a header inline, and
        // printk a macro for the exported _printk: neither is an unexported kernel function.
        using var dir = new TempDir();
        dir.Write("mm/core.c", "int core_internal(void) { return 0; }\n");
        dir.Write("tools/lib/core.c", "int core_internal(void) { return 1; }\n"); // not one of the definitions the note counts
        dir.Write("tools/lib/slab.c", "void *kmalloc(unsigned long size, int gfp) { return 0; }\n");
        dir.Write("scripts/mod/host.c", "int host_helper(void) { return 0; }\n");
        dir.Write("usr/gen.c", "int gen_helper(void) { return 0; }\n");
        dir.Write("Documentation/example.c", "int doc_helper(void) { return 0; }\n");
        dir.Write("drivers/drv.c",
            "int drv_export(void) { return core_internal() + (kmalloc(8, 0) != 0) + host_helper() + gen_helper() + doc_helper(); }\n" +
            "EXPORT_SYMBOL(drv_export);\n" +
            "int per_arch_user(void) { return arch_thing(); }\nEXPORT_SYMBOL(per_arch_user);\n");
        dir.Write("arch/x86/mm/b.c", "#ifdef CONFIG_A\nint arch_thing(void) { return 0; }\n#else\nint arch_thing(void) { return 2; }\n#endif\n");
        dir.Write("arch/arm/mm/a.c", "int arch_thing(void) { return 1; }\n");
        // A kernel module that lives under tools/ (tools/testing/nvdimm, cxl) is an in-tree user.
        dir.Write("tools/testing/nvdimm/test.c", "static int t(void) { return drv_export(); }\n");
        var (_, findings, stderr) = Calls(dir.Path);
        Assert.Equal("", stderr);
        Assert.Equal(["drv_export (drivers/drv.c:1) -> core_internal (not exported, mm/core.c)"], Notes(findings, "EA3002", "drv_export"));
        // Several kernel files define it: the first in the tree's order, and how many more.
        Assert.Equal(["per_arch_user (drivers/drv.c:3) -> arch_thing (not exported, arch/arm/mm/a.c and 1 other file)"], Notes(findings, "EA3002", "per_arch_user"));
        Assert.Equal(["per_arch_user"], Rules(findings, "EA3003"));
    }

    [Fact]
    public void WithAConfig_AFileItDoesNotBuildDefinesNoKernelFunction()
    {
        // 6.1's net/6lowpan/debugfs.c without CONFIG_6LOWPAN_DEBUGFS: the call goes to the header's stub.
        using var dir = new TempDir();
        dir.Write("Kbuild", "obj-y += mm/ drivers/\n");
        dir.Write("mm/Makefile", "obj-y += core.o\nobj-$(CONFIG_DEBUG_THING) += debug.o\n");
        dir.Write("mm/core.c", "int core_internal(void) { return 0; }\n");
        dir.Write("mm/debug.c", "int debug_init(void) { return 0; }\n");
        dir.Write("drivers/Makefile", "obj-y += drv.o\nobj-$(CONFIG_UNBUILT) += unbuilt/\n");
        dir.Write("drivers/drv.c", "int drv_export(void) { return core_internal() + debug_init(); }\nEXPORT_SYMBOL(drv_export);\n");
        // A driver the .config does not build is still judged, against the whole tree (mm/debug.c, unbuilt, counts),
        // but not for its own object's functions, as the Makefiles list it (6.1's mlxsw with MLXSW_CORE unset).
        dir.Write("drivers/unbuilt/Makefile", "obj-$(CONFIG_UNBUILT) += unbuilt.o\nunbuilt-objs := main.o core.o\n");
        dir.Write("drivers/unbuilt/main.c", "int unbuilt_export(void) { return unbuilt_core() + debug_init(); }\nEXPORT_SYMBOL(unbuilt_export);\n");
        dir.Write("drivers/unbuilt/core.c", "int unbuilt_core(void) { return 0; }\n");
        var config = dir.Write(".config", "CONFIG_SMP=y\n# CONFIG_DEBUG_THING is not set\n");
        var (_, findings, stderr) = Calls(dir.Path, "--kconfig", config, "--arch", "x86");
        Assert.Equal("", stderr);
        Assert.Equal(["drv_export (drivers/drv.c:1) -> core_internal (not exported, mm/core.c)"], Notes(findings, "EA3002", "drv_export"));
        Assert.Equal(["unbuilt_export (drivers/unbuilt/main.c:1) -> debug_init (not exported, mm/debug.c)"], Notes(findings, "EA3002", "unbuilt_export"));
        // Without one, every kernel file counts.
        Assert.Equal(2, Notes(Calls(dir.Path).Findings, "EA3002", "drv_export").Length);
    }

    [Fact]
    public void NoExportReachesItsOwnObjectsFunctions_WithAConfigAModulesNoOtherOwnersEither()
    {
        // 6.1's zstd_reset_cstream (module zstd_compress) calls its own ZSTD_resetCStream, ACPICA's exports (acpi-y,
        // built in) its acpi_ut_acquire_mutex: the object's business, not functionality the kernel withholds from
        // modules; and a module reaches no function of another owner (it could not link against one).
        using var dir = new TempDir();
        dir.Write("Kbuild", "obj-y += mm/ lib/ drivers/\n");
        dir.Write("mm/Makefile", "obj-y += core.o\n");
        dir.Write("mm/core.c", "int core_internal(void) { return 0; }\n");
        dir.Write("lib/Makefile", "obj-m += zmod.o\nzmod-objs := zmod_api.o zmod_impl.o\n");
        dir.Write("lib/zmod_impl.c", "int zmod_internal(void) { return 0; }\n");
        dir.Write("lib/zmod_api.c", "int zmod_reset(void) { return zmod_internal() + core_internal(); }\nEXPORT_SYMBOL(zmod_reset);\n");
        dir.Write("drivers/Makefile", "obj-y += drv.o acpi/\n");
        dir.Write("drivers/acpi/Makefile", "obj-y += acpi.o\nacpi-y := acpi_api.o acpi_mutex.o\n");
        dir.Write("drivers/acpi/acpi_mutex.c", "int acpi_lock_internal(void) { return 0; }\n");
        dir.Write("drivers/acpi/acpi_api.c", "int acpi_api(void) { return acpi_lock_internal() + core_internal(); }\nEXPORT_SYMBOL(acpi_api);\n");
        // Built in: the seed's case (hmm.c reaching mm/pagewalk.c); a module's function is none vmlinux links against.
        dir.Write("drivers/drv.c", "int drv_export(void) { return core_internal() + zmod_internal(); }\nEXPORT_SYMBOL(drv_export);\n");
        var config = dir.Write(".config", "CONFIG_SMP=y\n");
        var (_, findings, stderr) = Calls(dir.Path, "--kconfig", config, "--arch", "x86");
        Assert.Equal("", stderr);
        Assert.Equal(["acpi_api", "drv_export"], Rules(findings, "EA3002"));
        Assert.Equal(["acpi_api (drivers/acpi/acpi_api.c:1) -> core_internal (not exported, mm/core.c)"], Notes(findings, "EA3002", "acpi_api"));
        Assert.Equal(["drv_export (drivers/drv.c:1) -> core_internal (not exported, mm/core.c)"], Notes(findings, "EA3002", "drv_export"));
        // Without a .config no file has an owner, but the Makefiles still say which object each is part of (every
        // option as m): an object's own calls go, the rest stay.
        var unowned = Calls(dir.Path).Findings;
        Assert.Equal(["acpi_api (drivers/acpi/acpi_api.c:1) -> core_internal (not exported, mm/core.c)"], Notes(unowned, "EA3002", "acpi_api"));
        Assert.Equal(["zmod_reset (lib/zmod_api.c:1) -> core_internal (not exported, mm/core.c)"], Notes(unowned, "EA3002", "zmod_reset"));
        Assert.Equal(["drv_export (drivers/drv.c:1) -> core_internal (not exported, mm/core.c)", "drv_export (drivers/drv.c:1) -> zmod_internal (not exported, lib/zmod_impl.c)"],
            Notes(unowned, "EA3002", "drv_export"));
    }

    [Fact]
    public void WithAConfig_ABuiltExportsObjectIsTheOneTheConfigBuilds()
    {
        // 6.1's drivers/video/fbdev/core: fbcon.o is part of fb.o only under `ifeq ($(CONFIG_FRAMEBUFFER_CONSOLE),y)`,
        // which the Makefiles read with every option as m never enter: register_framebuffer's calls into fbcon.c are
        // fb.o's own under Debian's .config.
        using var dir = new TempDir();
        dir.Write("Kbuild", "obj-y += drivers/\n");
        dir.Write("drivers/Makefile", "obj-y += fb.o\nfb-y := fbmem.o\nifeq ($(CONFIG_FRAMEBUFFER_CONSOLE),y)\nfb-y += fbcon.o\nendif\n");
        dir.Write("drivers/fbcon.c", "int fbcon_registered(void) { return 0; }\n");
        dir.Write("drivers/fbmem.c", "int register_fb(void) { return fbcon_registered(); }\nEXPORT_SYMBOL(register_fb);\n");
        var console = dir.Write("console.config", "CONFIG_FRAMEBUFFER_CONSOLE=y\n");
        var (_, findings, stderr) = Calls(dir.Path, "--kconfig", console, "--arch", "x86");
        Assert.Equal("", stderr);
        Assert.Empty(Rules(findings, "EA3002"));
        // Without a .config fbcon.c is part of no object (the block is not entered), and the call is reported.
        Assert.Equal(["register_fb (drivers/fbmem.c:1) -> fbcon_registered (not exported, drivers/fbcon.c)"], Notes(Calls(dir.Path).Findings, "EA3002", "register_fb"));
    }

    [Fact]
    public void WithAConfig_ABuiltCallerReachesOnlyTheGplOnlyExportsItBuilds()
    {
        // 6.1's drm_managed.c calls mutex_destroy(): GPL-only in kernel/locking/mutex-debug.c, which only DEBUG_MUTEXES
        // builds; without it the call is to the header's empty inline, and Debian's kernel exports no mutex_destroy.
        using var dir = new TempDir();
        dir.Write("Kbuild", "obj-y += kernel/ drivers/\n");
        dir.Write("kernel/Makefile", "obj-$(CONFIG_DEBUG_MUTEXES) += mutex-debug.o\n");
        dir.Write("kernel/mutex-debug.c", "void mutex_destroy(struct mutex *lock) { lock->magic = 0; }\nEXPORT_SYMBOL_GPL(mutex_destroy);\n");
        dir.Write("drivers/Makefile", "obj-m += drm.o\nobj-$(CONFIG_UNBUILT) += unbuilt.o\n");
        dir.Write("drivers/drm.c", "void drm_release(struct mutex *m) { mutex_destroy(m); }\nEXPORT_SYMBOL(drm_release);\n");
        // A caller the .config does not build either is judged against the whole tree, as for EA3002.
        dir.Write("drivers/unbuilt.c", "void unbuilt_release(struct mutex *m) { mutex_destroy(m); }\nEXPORT_SYMBOL(unbuilt_release);\n");
        var without = dir.Write("without.config", "CONFIG_MODULES=y\n# CONFIG_DEBUG_MUTEXES is not set\n");
        var (_, findings, stderr) = Calls(dir.Path, "--kconfig", without, "--arch", "x86");
        Assert.Equal("", stderr);
        Assert.Equal(["unbuilt_release"], Rules(findings, "EA3001"));
        Assert.Empty(Rules(findings, "EA3002"));
        var with = dir.Write("with.config", "CONFIG_MODULES=y\nCONFIG_DEBUG_MUTEXES=y\n");
        Assert.Equal(["drm_release", "unbuilt_release"], Rules(Calls(dir.Path, "--kconfig", with, "--arch", "x86").Findings, "EA3001"));
        Assert.Equal(["drm_release", "unbuilt_release"], Rules(Calls(dir.Path).Findings, "EA3001"));
    }

    [Fact]
    public void ThinWrapperRank_CountsTheLaunderingFindingsOnly()
    {
        // A long function's thinness (10 per statement and call) once passed the offset that put EA3002 after EA3001,
        // and a laundering finding read "thin-wrapper rank: 3498 of 2212" on 6.1.
        using var dir = new TempDir();
        dir.Write("gpl.c", "int gpl_facility(int x) { return x; }\nEXPORT_SYMBOL_GPL(gpl_facility);\n");
        dir.Write("core.c", "int core_internal(void) { return 0; }\n");
        dir.Write("a.c", "int thin_unexported(void) { return core_internal(); }\nEXPORT_SYMBOL(thin_unexported);\n" +
            "int long_one(int x) {\n" + string.Concat(Enumerable.Range(0, 120).Select(i => $"\tx += {i};\n")) + "\treturn gpl_facility(x);\n}\nEXPORT_SYMBOL(long_one);\n");
        var (_, findings, stderr) = Calls(dir.Path);
        Assert.Equal("", stderr);
        Assert.Contains("thin-wrapper rank: 1 of 1", Notes(findings, "EA3001", "long_one"));
    }

    [Fact]
    public void AnOutOfTreeDriversSource_WithTheKernelItIsFor_ReachesTheKernelsGplOnlyExports()
    {
        using var kernel = new TempDir();
        var symvers = kernel.Write("Module.symvers", "0x1\tgpl_facility\tvmlinux\tEXPORT_SYMBOL_GPL\t\n0x2\tplain_facility\tvmlinux\tEXPORT_SYMBOL\t\n");
        using var dir = new TempDir();
        dir.Write("vendor.c",
            "static int helper(int x) { return gpl_facility(x); }\nint vendor_wrap(int x) { return helper(x); }\nEXPORT_SYMBOL(vendor_wrap);\n" +
            "int vendor_plain(int x) { return plain_facility(x); }\nEXPORT_SYMBOL(vendor_plain);\n");
        var (exit, findings, stderr) = Calls(dir.Path, "--kernel", symvers);
        Assert.Equal(("", 0), (stderr, exit));
        Assert.Equal(["vendor_wrap"], Rules(findings, "EA3001"));
        Assert.Contains("vendor_wrap (vendor.c:2) -> helper (vendor.c:1) -> gpl_facility (EXPORT_SYMBOL_GPL)", Notes(findings, "EA3001", "vendor_wrap"));
        // The kernel's exports are not the tree's: no in-tree-user finding for them.
        Assert.Equal(["vendor_plain", "vendor_wrap"], Rules(findings, "EA3003"));
        // Without the kernel nothing says gpl_facility is GPL-only.
        Assert.Empty(Rules(Calls(dir.Path).Findings, "EA3001"));
        // A kernel that cannot be read: one error, exit 2, the tree still judged.
        var missing = Calls(dir.Path, "--kernel", Path.Combine(kernel.Path, "missing.symvers"));
        Assert.Equal(2, missing.Exit);
        Assert.Equal($"exportaudit: {Path.Combine(kernel.Path, "missing.symvers")}: no such file or directory\n", missing.Stderr);
        Assert.Equal(["vendor_plain", "vendor_wrap"], Rules(missing.Findings, "EA3003"));
    }

    [Fact]
    public void AgainstItsKernel_TheHeadersMacrosAndInlinesAreTheFilesHelpers()
    {
        // HMM's percpu_ref_kill, out of tree: an inline of the kernel's headers calling a GPL-only export.
        using var kernel = new TempDir();
        kernel.Write("Module.symvers", "0x1\tpercpu_ref_kill_and_confirm\tvmlinux\tEXPORT_SYMBOL_GPL\t\n0x2\t_printk\tvmlinux\tEXPORT_SYMBOL\t\n");
        kernel.Write(".config", "CONFIG_SMP=y\n");
        kernel.Write("include/linux/percpu-refcount.h",
            "static inline void percpu_ref_kill(struct percpu_ref *ref)\n{\n\tpercpu_ref_kill_and_confirm(ref, NULL);\n}\n" +
            "#define percpu_ref_kill_now(ref) percpu_ref_kill(ref)\n#define printk(fmt, ...) _printk(fmt, ##__VA_ARGS__)\n");
        using var dir = new TempDir();
        dir.Write("shim.c", "#include <linux/percpu-refcount.h>\n" +
            "void shim_kill(struct percpu_ref *r) { percpu_ref_kill(r); }\nEXPORT_SYMBOL(shim_kill);\n" +
            "void shim_kill_now(struct percpu_ref *r) { percpu_ref_kill_now(r); }\nEXPORT_SYMBOL(shim_kill_now);\n" +
            "void shim_print(void) { printk(\"x\"); }\nEXPORT_SYMBOL(shim_print);\n" +
            // The tree's own function of a header's name is the one called.
            "static void percpu_ref_kill_all(void) { }\nvoid shim_own(void) { percpu_ref_kill_all(); }\nEXPORT_SYMBOL(shim_own);\n");
        var (exit, findings, stderr) = Calls(dir.Path, "--kernel", kernel.Path);
        Assert.Equal(("", 0), (stderr, exit));
        Assert.Equal(["shim_kill", "shim_kill_now"], Rules(findings, "EA3001"));
        Assert.Contains("shim_kill (shim.c:2) -> percpu_ref_kill -> percpu_ref_kill_and_confirm (EXPORT_SYMBOL_GPL)", Notes(findings, "EA3001", "shim_kill"));
        Assert.Contains("shim_kill_now (shim.c:4) -> percpu_ref_kill_now -> percpu_ref_kill -> percpu_ref_kill_and_confirm (EXPORT_SYMBOL_GPL)", Notes(findings, "EA3001", "shim_kill_now"));
        // --depth counts them as helpers.
        Assert.Equal(["shim_kill"], Rules(Calls(dir.Path, "--kernel", kernel.Path, "--depth", "1").Findings, "EA3001"));
    }

    [Fact]
    public void SeveralFilesDefineTheCallee_TheNoteNamesTheOneNearestTheCaller()
    {
        // linux-source-6.1: rtl8192u's ieee80211 stack and rtl8192e each define HTCCheck, and net/mac80211's
        // ieee80211_xmit has a staging twin; a call goes to the caller's own.
        using var dir = new TempDir();
        dir.Write("drivers/staging/a/ht.c", "int ht_check(void) { return 0; }\n");
        dir.Write("drivers/staging/b/sub/ht.c", "int ht_check(void) { return 1; }\n");
        dir.Write("drivers/staging/b/sub/rx.c", "int b_rx(void) { return ht_check(); }\nEXPORT_SYMBOL(b_rx);\n");
        dir.Write("drivers/staging/c/rx.c", "int c_rx(void) { return ht_check(); }\nEXPORT_SYMBOL(c_rx);\n");
        var (_, findings, stderr) = Calls(dir.Path);
        Assert.Equal("", stderr);
        Assert.Equal(["b_rx (drivers/staging/b/sub/rx.c:1) -> ht_check (not exported, drivers/staging/b/sub/ht.c and 1 other file)"], Notes(findings, "EA3002", "b_rx"));
        // Equally near (drivers/staging/): the first in the tree's order.
        Assert.Equal(["c_rx (drivers/staging/c/rx.c:1) -> ht_check (not exported, drivers/staging/a/ht.c and 1 other file)"], Notes(findings, "EA3002", "c_rx"));
    }

    [Fact]
    public void Depth_LimitsHowManyHelpersAreFollowed()
    {
        using var dir = new TempDir();
        dir.Write("gpl.c", "int gpl_facility(int x) { return x; }\nEXPORT_SYMBOL_GPL(gpl_facility);\n");
        dir.Write("wrap.c", "static int inner(int x) { return gpl_facility(x); }\nstatic int outer(int x) { return inner(x); }\nint deep(int x) { return outer(x); }\nEXPORT_SYMBOL(deep);\n");
        Assert.Equal(["deep"], Rules(Calls(dir.Path).Findings, "EA3001"));
        Assert.Empty(Rules(Calls(dir.Path, "--depth", "1").Findings, "EA3001"));
    }

    // An X-macro header's exports are used through pasted names (cgroup_subsys_enabled(ss) pastes _enabled_key) or by
    // compiler-emitted calls (retpoline thunks): the sweep cannot see those users, so it does not say there are none.
    [Fact]
    public void InTreeUsers_AnXMacroHeadersExportsAreNotJudged_ThePlainUnusedOneNextToThemIs()
    {
        using var dir = new TempDir();
        dir.Write("include/linux/subsys.h", "SUBSYS(cpuset)\nSUBSYS(memory)\n");
        dir.Write("kernel/cgroup.c", "#define SUBSYS(_x) DEFINE_STATIC_KEY_TRUE(_x ## _key); EXPORT_SYMBOL_GPL(_x ## _key);\n#include <linux/subsys.h>\n" +
            "#undef SUBSYS\nint plain_unused(void) { return 0; }\nEXPORT_SYMBOL(plain_unused);\n");
        var findings = Calls(dir.Path).Findings;
        Assert.Equal(["plain_unused"], Rules(findings, "EA3003"));
        var scanned = JsonDocument.Parse(Support.Cli.Run(["scan-source", dir.Path, "--format", "json"]).Stdout).RootElement.GetProperty("exports");
        Assert.Equal(["cpuset_key", "memory_key", "plain_unused"], scanned.EnumerateArray().Select(e => e.GetProperty("symbol").GetString()!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void InTreeUsers_CallsFunctionPointersMacrosAndAssemblyCount_PrototypesAndCommentsDoNot()
    {
        using var dir = new TempDir();
        dir.Write("lib/exp.c", string.Concat(new[] { "called", "pointed", "macroed", "assembled", "prototyped", "commented" }
            .Select(n => $"int {n}(void) {{ return 0; }}\nEXPORT_SYMBOL({n});\n")));
        dir.Write("include/exp.h", "int prototyped(void);\n#define MACROED() macroed()\n");
        dir.Write("drv/a.c", "static int f(void) { return called(); }\nstatic const struct ops o = { .fn = pointed };\n/* commented() is not a use */\n");
        dir.Write("arch/x86/entry.S", "SYM_FUNC_START(x)\n\tcall assembled\nSYM_FUNC_END(x)\n");
        Assert.Equal(["commented", "prototyped"], Rules(Calls(dir.Path).Findings, "EA3003"));
    }

    [Fact]
    public void InTreeUsers_FileScopeMacroArgumentsAndInitializersCount_DeclarationsInThemDoNot()
    {
        // linux-source-6.1: rtl_pci_suspend is used only by `static SIMPLE_DEV_PM_OPS(…, rtl_pci_suspend, …)`, spk_var_show
        // by `= __ATTR(…, spk_var_show, …)`, blk_fill_rwbs in a tracepoint header's TP_fast_assign; Debian's modules
        // import all three. A prototype's parameters, a macro-wrapped prototype, a pointer's declaration and the name a
        // macro declares are not uses.
        string[] used = ["pm_suspend_cb", "attr_show", "traced_str", "hook_target"];
        string[] declared = ["tag_twin", "wrapped", "hook_decl", "the_key", "event_twin"];
        using var dir = new TempDir();
        dir.Write("lib/exp.c", string.Concat(used.Concat(declared).Select(n => $"int {n}(void) {{ return 0; }}\nEXPORT_SYMBOL({n});\n")));
        dir.Write("drv/a.c", "static SIMPLE_DEV_PM_OPS(a_pm_ops, pm_suspend_cb, NULL);\nstatic struct kobj_attribute a_attr = __ATTR(a, 0644, attr_show, NULL);\n" +
            "static int (*hook)(void) = &hook_target;\n");
        dir.Write("include/trace/events/a.h", "TRACE_EVENT(event_twin,\n\tTP_printk(\"%s\", traced_str(__entry->x))\n);\n");
        dir.Write("include/a.h", "int user(struct tag_twin *t, enum tag_twin e);\nWRAP_PROTO(int wrapped(int x));\nextern int (*hook_decl)(u64 v);\n" +
            "DECLARE_STATIC_KEY_FALSE(the_key);\n");
        Assert.Equal(declared.Order(StringComparer.Ordinal), Rules(Calls(dir.Path).Findings, "EA3003"));
    }
}
