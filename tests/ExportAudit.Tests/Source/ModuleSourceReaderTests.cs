using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Source;

/// <summary>Modules given as source against a small generated Module.symvers (the real-data oracle is ModuleSourceTests).</summary>
public class ModuleSourceReaderTests
{
    private const string Symvers =
        "0x00000001\tgpl_fn\tvmlinux\tEXPORT_SYMBOL_GPL\t\n" +
        "0x00000002\tplain_fn\tvmlinux\tEXPORT_SYMBOL\t\n" +
        "0x00000003\tns_fn\tvmlinux\tEXPORT_SYMBOL_GPL\tDMA_BUF\n" +
        "0x00000004\tdead_fn\tvmlinux\tEXPORT_SYMBOL_GPL\t\n" +
        "0x00000005\tmember_fn\tvmlinux\tEXPORT_SYMBOL_GPL\t\n" +
        "0x00000006\tinit_fn\tvmlinux\tEXPORT_SYMBOL_GPL\t\n" +
        "0x00000007\toff_fn\tvmlinux\tEXPORT_SYMBOL_GPL\t\n";

    private static (TempDir Kernel, string Symvers) Kernel(string? config = null)
    {
        var kernel = new TempDir();
        var symvers = kernel.Write("Module.symvers", Symvers);
        if (config is not null) kernel.Write(".config", config);
        return (kernel, symvers);
    }

    [Fact]
    public void UsesInCodeInitializersAndFileScope_AreImports_CommentsMembersIf0AndConfigOffAreNot()
    {
        var (kernel, symvers) = Kernel("CONFIG_ON=y\n");
        using var _ = kernel;
        using var dir = new TempDir();
        dir.Write("Kbuild", "obj-m += vendor.o\nvendor-y := main.o ops.o\n");
        dir.Write("main.c", """
            #include <linux/module.h>
            /* gpl_fn() in a comment is no use */
            static int helper(void) { return plain_fn(); }
            static int setup(void)
            {
                struct ops *o = get_ops();
                o->member_fn = 0;          /* a member, not the export */
            #if 0
                dead_fn();
            #endif
            #ifdef CONFIG_OFF
                off_fn();
            #endif
                return helper() + gpl_fn();
            }
            MODULE_LICENSE("Proprietary");
            """);
        dir.Write("ops.c", """
            static const struct file_operations fops = { .open = init_fn };
            """);
        var r = Support.Cli.Run("check", "--kernel", symvers, "--format", "modpost", dir.Path);
        Assert.Equal(
            [
                "ERROR: modpost: GPL-incompatible module vendor.ko uses GPL-only symbol 'gpl_fn'",
                "ERROR: modpost: GPL-incompatible module vendor.ko uses GPL-only symbol 'init_fn'",
            ],
            r.Stdout.TrimEnd('\n').Split('\n'));
        Assert.Equal(1, r.ExitCode);
        // The finding points at the use in the source.
        var json = Support.Cli.Run("check", "--kernel", symvers, "--format", "json", dir.Path).Stdout;
        Assert.Contains($"\"file\": \"{Path.Combine(dir.Path, "main.c")}\"", json);
        Assert.Contains("used at " + Path.Combine(dir.Path, "main.c") + ":14", json);
    }

    [Fact]
    public void ExternAndPrototypeDeclarations_AreUndefinedWhenNobodyExportsThem_WeakOnesAreAllowed_MacroCallsAreNotDeclarations()
    {
        var (kernel, symvers) = Kernel();
        using var _ = kernel;
        using var dir = new TempDir();
        dir.Write("drv.c", """
            #include <linux/module.h>
            extern int vendor_blob_init(void);
            extern int optional_hook(void) __attribute__((weak));
            int local_later(void);
            static DEFINE_MUTEX(lock);
            module_init(drv_init);
            static int drv_init(void) { return vendor_blob_init() + optional_hook() + local_later() + ns_fn(); }
            int local_later(void) { return 0; }
            MODULE_LICENSE("GPL");
            """);
        var r = Support.Cli.Run("check", "--kernel", symvers, "--format", "modpost", Path.Combine(dir.Path, "drv.c"));
        Assert.Equal(
            [
                $"ERROR: modpost: \"vendor_blob_init\" [{Path.Combine(dir.Path, "drv")}.ko] undefined!",
                "ERROR: modpost: module drv uses symbol ns_fn from namespace DMA_BUF, but does not import it.",
            ],
            r.Stdout.TrimEnd('\n').Split('\n').Order(StringComparer.Ordinal));
    }

    [Fact]
    public void KbuildObjectThatIsNotThere_OneLineWithPathAndLine_Exit2_TheOtherModuleStillChecked()
    {
        var (kernel, symvers) = Kernel("CONFIG_ON=m\n");
        using var _ = kernel;
        using var dir = new TempDir();
        var kbuild = dir.Write("Kbuild", "obj-m += good.o\nobj-$(CONFIG_ON) += broken.o\nbroken-y := broken_main.o missing.o\nobj-$(CONFIG_NOT_SET) += skipped.o\n");
        dir.Write("good.c", "MODULE_LICENSE(\"Proprietary\");\nstatic int f(void) { return gpl_fn(); }\n");
        dir.Write("broken_main.c", "MODULE_LICENSE(\"GPL\");\n");
        dir.Write("skipped.c", "static int f(void) { return gpl_fn(); }\n");
        var r = Support.Cli.Run("check", "--kernel", symvers, "--format", "modpost", dir.Path);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"exportaudit: {kbuild}:2: missing.o: no missing.c or missing.S beside the Kbuild file; module broken read without it", r.Stderr.TrimEnd('\n'));
        Assert.Equal("ERROR: modpost: GPL-incompatible module good.ko uses GPL-only symbol 'gpl_fn'", r.Stdout.TrimEnd('\n'));
    }

    [Fact]
    public void KbuildEvaluation_VariablesIfdefAddprefixAndBuiltins_LocalHeadersAndIncludedCFiles()
    {
        var (kernel, symvers) = Kernel("CONFIG_FEATURE=y\nCONFIG_DRV=m\nCONFIG_CORE=y\n");
        using var _ = kernel;
        using var dir = new TempDir();
        dir.Write("Makefile", """
            # the in-tree style: variables, options, functions
            drv-objs-y := main.o
            drv-objs-$(CONFIG_FEATURE) += $(addprefix sub/, extra.o)
            drv-objs-$(CONFIG_MISSING) += never.o
            drv-objs := $(drv-objs-y)
            obj-$(CONFIG_DRV) += drv.o
            obj-$(CONFIG_CORE) += builtin.o
            ifdef CONFIG_MISSING
            obj-m += hidden.o
            endif
            lib-y := a.o
            lib-y := b.o
            obj-m += lib.o
            """);
        dir.Write("main.c", "#include \"local.h\"\n#include \"part.c\"\nstatic int f(void) { return ns_fn(); }\n");
        dir.Write("part.c", "MODULE_LICENSE(DRV_LICENSE);\n");
        dir.Write("local.h", "#define DRV_LICENSE \"Proprietary\"\nMODULE_IMPORT_NS(DMA_BUF);\n");
        dir.Write("sub/extra.c", "static int g(void) { return gpl_fn(); }\n");
        dir.Write("never.c", "static int h(void) { return dead_fn(); }\n");
        dir.Write("builtin.c", "MODULE_LICENSE(\"GPL\");\n");
        dir.Write("hidden.c", "MODULE_LICENSE(\"GPL\");\n");
        dir.Write("a.c", "static int a(void) { return off_fn(); }\n");
        dir.Write("b.c", "MODULE_LICENSE(\"GPL\");\nstatic int b(void) { return plain_fn(); }\n");
        var r = Support.Cli.Run("check", "--kernel", symvers, "--format", "json", dir.Path);
        Assert.Equal("", r.Stderr);
        using var doc = System.Text.Json.JsonDocument.Parse(r.Stdout);
        var modules = doc.RootElement.GetProperty("modules").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!, m => m);
        // builtin.o is linked into vmlinux (y), hidden.o sits in a false ifdef: neither is a module.
        Assert.Equal(["drv", "lib"], modules.Keys.Order());
        var drv = modules["drv"];
        Assert.Equal(["Proprietary"], drv.GetProperty("licenses").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal(["DMA_BUF"], drv.GetProperty("import_ns").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal(["gpl_fn", "ns_fn"], drv.GetProperty("imports").EnumerateArray().Select(i => i.GetString()).Order());
        // := replaces: lib is b.o alone.
        Assert.Equal(["plain_fn"], modules["lib"].GetProperty("imports").EnumerateArray().Select(i => i.GetString()));
        Assert.Contains("GPL-incompatible module drv.ko uses GPL-only symbol 'gpl_fn'", r.Stdout);
    }

    [Fact]
    public void AWholeKernelTreeAsInput_IsOneLineSayingWhatToGiveInstead_Exit2()
    {
        var (kernel, symvers) = Kernel();
        using var _ = kernel;
        using var tree = new TempDir();
        tree.Write("Kbuild", "obj-y += kernel/\n");
        tree.Write("include/linux/module.h", "");
        tree.Write("kernel/Makefile", "obj-y += fork.o\n");
        var r = Support.Cli.Run("check", "--kernel", symvers, tree.Path);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"exportaudit: {tree.Path}: a whole kernel source tree is not read as modules: give the directories of the modules to check (e.g. {Path.Combine(tree.Path, "drivers", "net", "phy")}), or the tree as --kernel\n", r.Stderr);
    }

    [Fact]
    public void KernelHeaders_MacrosAndInlinesAreFollowed_UnevaluatedArgumentsAndConfigOffBranchesAreNot()
    {
        // A headers directory as Debian ships one: Module.symvers, .config, include/linux.
        using var kernel = new TempDir();
        var symvers = kernel.Write("Module.symvers",
            "0x1\t__gpl_lock\tvmlinux\tEXPORT_SYMBOL_GPL\t\n0x2\tcheck_fn\tvmlinux\tEXPORT_SYMBOL_GPL\t\n0x3\t_real_print\tvmlinux\tEXPORT_SYMBOL\t\n" +
            "0x4\tdebug_print\tvmlinux\tEXPORT_SYMBOL_GPL\t\n0x5\twq_a\tvmlinux\tEXPORT_SYMBOL_GPL\t\n0x6\tflush_fn\tvmlinux\tEXPORT_SYMBOL\t\n" +
            "0x7\tpreempt_only\tvmlinux\tEXPORT_SYMBOL_GPL\t\n0x8\tplain_only\tvmlinux\tEXPORT_SYMBOL\t\n");
        kernel.Write(".config", "CONFIG_PREEMPT=y\n");
        kernel.Write("include/linux/lock.h", """
            #define WARN_CHECK(c) do { } while (0 && (c))
            static inline void vendor_lock(void)
            {
                __gpl_lock();
                WARN_CHECK(!check_fn());
            }
            #define print(fmt, ...) _real_print(fmt, ##__VA_ARGS__)
            #define no_print(fmt, ...) ({ if (0) debug_print(fmt); 0; })
            #define flush(wq) ({ if ((__builtin_constant_p(wq == wq_a) && wq == wq_a)) warn(); flush_fn(wq); })
            #ifdef CONFIG_PREEMPT
            static inline void maybe(void) { preempt_only(); }
            #else
            static inline void maybe(void) { plain_only(); }
            #endif
            """);
        using var dir = new TempDir();
        dir.Write("drv.c", """
            #include <linux/lock.h>
            static void f(void *q)
            {
                vendor_lock();
                print("x");
                no_print("y");
                flush(q);
                maybe();
            }
            MODULE_LICENSE("Proprietary");
            """);
        var r = Support.Cli.Run("check", "--kernel", symvers, "--format", "json", dir.Path);
        using var doc = System.Text.Json.JsonDocument.Parse(r.Stdout);
        var imports = doc.RootElement.GetProperty("modules")[0].GetProperty("imports").EnumerateArray().Select(i => i.GetString()).ToArray();
        Assert.Equal(["__gpl_lock", "_real_print", "flush_fn", "preempt_only"], imports.Order());
        // The finding says how the name was reached.
        Assert.Contains("through the kernel headers: vendor_lock -> __gpl_lock", r.Stdout);
    }
}
