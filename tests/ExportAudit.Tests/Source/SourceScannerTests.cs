using ExportAudit.Diagnostics;
using ExportAudit.Ingest.Config;
using ExportAudit.Ingest.Source;
using ExportAudit.Model;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Source;

public class SourceScannerTests
{
    private static SourceScan Scan(TempDir dir, KernelConfig? config = null, string? arch = null)
    {
        var errors = new InputErrors();
        var scan = new SourceScanner(errors, new SourceScanOptions { Config = config, Arch = arch, Jobs = 2 }).Scan(dir.Path);
        Assert.DoesNotContain(errors.Snapshot(), e => e.Severity == Severity.Error);
        return scan;
    }

    private static string[] Exports(SourceScan scan) =>
        scan.Exports.Select(e => $"{e.Symbol} {e.Kind.ReportType()} {e.Namespace} {e.File}:{e.Line}").ToArray();

    [Fact]
    public void ANameSplitByABackslashAndCrlf_IsJoined_AndABackslashElsewhereSplitsNothing()
    {
        using var dir = new TempDir();
        // CRLF and LF continuations inside names, a backslash in a string and one before a blank: one export each
        // for the first two, nothing from the rest.
        dir.Write("a.c", "EXPORT_SYMBOL(plain);\r\nEXPO\\\r\nRT_SYMBOL_GPL(crlf_split);\r\nEXPORT_SYM\\\nBOL(lf_split);\r\n"
            + "static const char *s = \"EXPO\\nRT_SYMBOL(in_string)\";\r\nEXPO\\ RT_SYMBOL(not_joined);\r\n");
        Assert.Equal(["plain EXPORT_SYMBOL  a.c:1", "crlf_split EXPORT_SYMBOL_GPL  a.c:2", "lf_split EXPORT_SYMBOL  a.c:4"], Exports(Scan(dir)));
    }

    [Fact]
    public void CommentsStringsAndIf0_AreNotExports_ButASplitInvocationIs()
    {
        using var dir = new TempDir();
        dir.Write("a.c", """
            #include <linux/module.h>
            /* EXPORT_SYMBOL(in_block_comment); */
            // EXPORT_SYMBOL(in_line_comment); \
               EXPORT_SYMBOL(in_continued_line_comment);
            static const char *s = "EXPORT_SYMBOL(in_string)";
            #if 0
            EXPORT_SYMBOL(in_if0);
            #else
            EXPORT_SYMBOL_GPL(in_else_of_if0);
            #endif
            EXPORT_SYMBOL(
                split_over_lines);
            EXPO\
            RT_SYMBOL(split_by_continuation);
            MODULE_LICENSE("GPL v2");
            MODULE_IMPORT_NS(DMA_BUF);
            """);
        var scan = Scan(dir);
        Assert.Equal(["in_else_of_if0 EXPORT_SYMBOL_GPL  a.c:9", "split_over_lines EXPORT_SYMBOL  a.c:11", "split_by_continuation EXPORT_SYMBOL  a.c:13"], Exports(scan));
        var license = Assert.Single(scan.Licenses);
        Assert.Equal(["GPL v2"], license.Licenses);
        Assert.Equal(["DMA_BUF"], license.ImportNamespaces);
    }

    [Fact]
    public void AsmExports_TakeTheConditionWhereTheyStand_AndSkippedDefinesKeepLineNumbers()
    {
        // .S files have no ';': an export's #if condition is the one around its invocation, not one many lines on
        // (the scanner used to take it at the next ';', which made 6.1's kvmppc_h_set_xdabr look TM-only).
        using var dir = new TempDir();
        dir.Write("entry.S", """
            #include <linux/export.h>
            #define LONG_MACRO(x) \
                mov x, %rax; \
                ret /* a comment
                       over two lines */
            SYM_FUNC_START(plain_entry)
            	ret
            EXPORT_SYMBOL(plain_entry)
            #ifdef CONFIG_SOMETHING
            SYM_FUNC_START(conditional_entry)
            EXPORT_SYMBOL_GPL(conditional_entry)
            #endif
            SYM_FUNC_START(after_entry)
            EXPORT_SYMBOL(after_entry)
            #ifdef CONFIG_OTHER
            	nop
            #endif
            """);
        var scan = Scan(dir);
        Assert.Equal(["plain_entry EXPORT_SYMBOL  entry.S:8", "conditional_entry EXPORT_SYMBOL_GPL  entry.S:11", "after_entry EXPORT_SYMBOL  entry.S:14"], Exports(scan));
        Assert.Equal([null, "defined(CONFIG_SOMETHING)", null], scan.Exports.Select(e => e.Condition));
    }

    [Fact]
    public void TheMacroFamily_ExpandsToWhatTheKernelExports()
    {
        using var dir = new TempDir();
        dir.Write("f.c", """
            EXPORT_SYMBOL_NS(ns_bare, USB_STORAGE);
            EXPORT_SYMBOL_NS_GPL(ns_string, "CXL");
            EXPORT_SYMBOL_GPL_FOR_MODULES(for_mods, "kvm,kvm-intel");
            EXPORT_TRACEPOINT_SYMBOL_GPL(block_rq_issue);
            EXPORT_STATIC_CALL(pv_sched_clock);
            EXPORT_STATIC_CALL_TRAMP_GPL(tramp_only);
            EXPORT_PER_CPU_SYMBOL(cpu_number);
            """);
        var exports = Exports(Scan(dir));
        Assert.Equal([
            "ns_bare EXPORT_SYMBOL USB_STORAGE f.c:1",
            "ns_string EXPORT_SYMBOL_GPL CXL f.c:2",
            "for_mods EXPORT_SYMBOL_GPL module:kvm,kvm-intel f.c:3",
            "__SCK__tp_func_block_rq_issue EXPORT_SYMBOL_GPL  f.c:4",
            "__SCT__tp_func_block_rq_issue EXPORT_SYMBOL_GPL  f.c:4",
            "__traceiter_block_rq_issue EXPORT_SYMBOL_GPL  f.c:4",
            "__tracepoint_block_rq_issue EXPORT_SYMBOL_GPL  f.c:4",
            "__SCK__pv_sched_clock EXPORT_SYMBOL  f.c:5",
            "__SCT__pv_sched_clock EXPORT_SYMBOL  f.c:5",
            "__SCT__tramp_only EXPORT_SYMBOL_GPL  f.c:6",
            "cpu_number EXPORT_SYMBOL  f.c:7",
        ], exports);
    }

    [Fact]
    public void DefineWrappers_FromHeadersAndTheSameFile_WithPastingAndStringify()
    {
        using var dir = new TempDir();
        dir.Write("include/wrap.h", """
            #define DEFINE_DISPATCHER(name) int disp_##name##_func(void); EXPORT_SYMBOL(disp_##name##_func)
            #define EXPORT_NS_OPS(name, ns) __EXPORT_SYMBOL(name, "GPL", #ns)
            """);
        dir.Write("drivers/x.c", """
            #include "wrap.h"
            #define MY_EXPORT(s) EXPORT_SYMBOL_GPL(s)
            DEFINE_DISPATCHER(xdp);
            EXPORT_NS_OPS(x_pm_ops, X_NS);
            MY_EXPORT(local_wrapped);
            """);
        Assert.Equal([
            "disp_xdp_func EXPORT_SYMBOL  drivers/x.c:3",
            "x_pm_ops EXPORT_SYMBOL_GPL X_NS drivers/x.c:4",
            "local_wrapped EXPORT_SYMBOL_GPL  drivers/x.c:5",
        ], Exports(Scan(dir)));
    }

    [Fact]
    public void ModuleMacros_OnlyLicenseAndImportNsAreRead_OthersOnlyAsWrappersTheFileOrAHeaderDefines()
    {
        using var dir = new TempDir();
        dir.Write("include/modwrap.h", "#define MODULE_SYMBOL(s) EXPORT_SYMBOL_GPL(s)\n");
        dir.Write("drivers/m.c", """
            #include "modwrap.h"
            #define MODULE_LOCAL_SYMBOL(s) EXPORT_SYMBOL(s)
            MODULE_AUTHOR("Someone <someone@example.org>");
            MODULE_DESCRIPTION("EXPORT_SYMBOL(not_an_export)");
            MODULE_DEVICE_TABLE(pci, m_ids);
            MODULE_SYMBOL(from_header_wrapper);
            MODULE_LOCAL_SYMBOL(from_local_wrapper);
            MODULE_LICENSE("Dual BSD/GPL");
            MODULE_IMPORT_NS(CRYPTO_INTERNAL);
            """);
        var scan = Scan(dir);
        Assert.Equal([
            "from_header_wrapper EXPORT_SYMBOL_GPL  drivers/m.c:6",
            "from_local_wrapper EXPORT_SYMBOL  drivers/m.c:7",
        ], Exports(scan));
        var license = Assert.Single(scan.Licenses);
        Assert.Equal(("drivers/m.c", 8), (license.File, license.Line));
        Assert.Equal(["Dual BSD/GPL"], license.Licenses);
        Assert.Equal(["CRYPTO_INTERNAL"], license.ImportNamespaces);
    }

    [Fact]
    public void ExportInADefinesName_DoesNotMarkAFile_ButAPastedOrSplitInvocationDoes()
    {
        using var dir = new TempDir();
        // AMD's register headers: EXPORT_ inside #define names followed by values.
        dir.Write("include/gc_sh_mask.h", "#define SQ_FIFO_SIZES__EXPORT_BUF_VS_RESERVED__SHIFT 0xc\n#define SQ_FIFO_SIZES__EXPORT_BUF_REDUCE_MASK 0x00010000L\n");
        dir.Write("include/paste.h", "#define GPL_EXPORT(s) EXPORT_SYMBOL##_GPL(s)\n");
        dir.Write("drivers/p.c", "#include \"paste.h\"\nGPL_EXPORT(pasted);\nEXPORT_SYMBOL\n(split_from_its_parenthesis);\n");
        var scan = Scan(dir);
        Assert.Equal(["pasted EXPORT_SYMBOL_GPL  drivers/p.c:2", "split_from_its_parenthesis EXPORT_SYMBOL  drivers/p.c:3"], Exports(scan));
        Assert.Equal(2, scan.FilesTokenized); // paste.h and p.c, not the register header
    }

    [Fact]
    public void IdentifierClasses_AreCsLettersDigitsUnderscoreAndDollar()
    {
        for (var c = 0; c < 256; c++)
        {
            var start = c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or '_' or '$';
            Assert.Equal(start, CTokenizer.IsIdentStart((byte)c));
            Assert.Equal(start || c is >= '0' and <= '9', CTokenizer.IsIdentPart((byte)c));
        }
    }

    [Fact]
    public void ExportArguments_KeepInnerParenthesesAndCommas_AndRenamesApply()
    {
        using var dir = new TempDir();
        dir.Write("r.c", """
            #define queued_spin_lock_slowpath native_queued_spin_lock_slowpath
            EXPORT_SYMBOL(queued_spin_lock_slowpath);
            EXPORT_SYMBOL_NS_GPL(ns_sym, SOME_NS);
            __EXPORT_SYMBOL(inner_form, "GPL", "INNER_NS");
            """);
        Assert.Equal([
            "native_queued_spin_lock_slowpath EXPORT_SYMBOL  r.c:2",
            "ns_sym EXPORT_SYMBOL_GPL SOME_NS r.c:3",
            "inner_form EXPORT_SYMBOL_GPL INNER_NS r.c:4",
        ], Exports(Scan(dir)));
    }

    [Fact]
    public void DefaultSymbolNamespace_FromMakefilesAndFromADefineBeforeTheIncludes()
    {
        using var dir = new TempDir();
        dir.Write("drivers/usb/storage/Makefile", "ccflags-y += -DDEFAULT_SYMBOL_NAMESPACE=USB_STORAGE\n");
        dir.Write("drivers/usb/storage/u.c", "EXPORT_SYMBOL_GPL(usb_stor_probe1);\n");
        dir.Write("drivers/dma/Makefile", "subdir-ccflags-y += -DDEFAULT_SYMBOL_NAMESPACE=DMA_ALL\nCFLAGS_one.o += -DDEFAULT_SYMBOL_NAMESPACE=ONE\n");
        dir.Write("drivers/dma/sub/s.c", "EXPORT_SYMBOL(in_subdir);\n");
        dir.Write("drivers/dma/one.c", "EXPORT_SYMBOL(only_one);\n");
        dir.Write("drivers/before.c", "#define DEFAULT_SYMBOL_NAMESPACE BEFORE\n#include <linux/export.h>\nEXPORT_SYMBOL(before_include);\n");
        // 6.1's export.h reads the macro when included: a #define after the includes has no effect.
        dir.Write("drivers/after.c", "#include <linux/export.h>\n#define DEFAULT_SYMBOL_NAMESPACE AFTER\nEXPORT_SYMBOL(after_include);\n");
        var exports = Exports(Scan(dir));
        Assert.Contains("usb_stor_probe1 EXPORT_SYMBOL_GPL USB_STORAGE drivers/usb/storage/u.c:1", exports);
        Assert.Contains("in_subdir EXPORT_SYMBOL DMA_ALL drivers/dma/sub/s.c:1", exports);
        Assert.Contains("only_one EXPORT_SYMBOL ONE drivers/dma/one.c:1", exports);
        Assert.Contains("before_include EXPORT_SYMBOL BEFORE drivers/before.c:3", exports);
        Assert.Contains("after_include EXPORT_SYMBOL  drivers/after.c:3", exports);
    }

    // cgroup.c defines SUBSYS to export two keys and includes linux/cgroup_subsys.h, which invokes SUBSYS once per
    // controller under its #if; retpoline.S does the same with GEN and asm/GEN-for-each-reg.h, defining GEN several
    // times between #undefs, only one of them an export. Modpost sees every one (Debian's 6.1 symvers lists them).
    [Fact]
    public void XMacroHeaders_ExportInTheIncluder_WithTheDefinitionThenInEffect_AndTheHeadersConditions()
    {
        using var dir = new TempDir();
        var config = dir.Write(".config", "CONFIG_CPUSETS=y\nCONFIG_64BIT=y\n");
        dir.Write("include/linux/subsys.h", """
            #if IS_ENABLED(CONFIG_CPUSETS)
            SUBSYS(cpuset)
            #endif
            #if IS_ENABLED(CONFIG_CGROUP_DEBUG)
            SUBSYS(debug)
            #endif
            """);
        dir.Write("kernel/cgroup.c", """
            #include <linux/export.h>
            #define SUBSYS(_x) [_x ## _id] = &_x ## _subsys,
            #include <linux/subsys.h>
            #undef SUBSYS
            #define SUBSYS(_x) \
                DEFINE_STATIC_KEY_TRUE(_x ## _key); \
                EXPORT_SYMBOL_GPL(_x ## _key);
            #include <linux/subsys.h>
            #undef SUBSYS
            #include <linux/subsys.h>
            """);
        dir.Write("arch/x86/include/asm/regs.h", """
            #ifdef CONFIG_64BIT
            GEN(rax)
            GEN(rcx)
            #else
            GEN(eax)
            #endif
            """);
        dir.Write("arch/x86/lib/thunk.S", """
            #define EXPORT_THUNK(reg) EXPORT_SYMBOL(__thunk_ ## reg)
            #define GEN(reg) THUNK reg
            #include <asm/regs.h>
            #undef GEN
            #define GEN(reg) EXPORT_THUNK(reg)
            #include <asm/regs.h>
            #undef GEN
            #define GEN(reg) CALL_THUNK reg
            #include <asm/regs.h>
            #undef GEN
            """);
        // The header itself exports nothing: SUBSYS and GEN are nothing to it.
        Assert.Equal([
            "__thunk_eax EXPORT_SYMBOL  arch/x86/lib/thunk.S:6",
            "__thunk_rax EXPORT_SYMBOL  arch/x86/lib/thunk.S:6",
            "__thunk_rcx EXPORT_SYMBOL  arch/x86/lib/thunk.S:6",
            "cpuset_key EXPORT_SYMBOL_GPL  kernel/cgroup.c:8",
            "debug_key EXPORT_SYMBOL_GPL  kernel/cgroup.c:8",
        ], Exports(Scan(dir)).Order(StringComparer.Ordinal));
        var configured = Scan(dir, KernelConfig.Read(config), "x86");
        Assert.Equal(["__thunk_rax", "__thunk_rcx", "cpuset_key"], configured.Exports.Select(e => e.Symbol).Order(StringComparer.Ordinal));
        Assert.Equal("defined(CONFIG_64BIT)", configured.Exports.First(e => e.Symbol == "__thunk_rax").Condition);
        Assert.Equal("!(defined(CONFIG_64BIT))", Scan(dir).Exports.Single(e => e.Symbol == "__thunk_eax").Condition);
    }

    [Fact]
    public void WithAConfig_IfBranchesAreEvaluated_AndTheArchitectureFilterApplies()
    {
        using var dir = new TempDir();
        var config = dir.Write(".config", "CONFIG_SMP=y\nCONFIG_FOO=m\n# CONFIG_BAR is not set\nCONFIG_NR=64\n");
        dir.Write("k.c", """
            #ifdef CONFIG_SMP
            EXPORT_SYMBOL(smp_only);
            #else
            EXPORT_SYMBOL(up_only);
            #endif
            #if IS_ENABLED(CONFIG_FOO) && !IS_BUILTIN(CONFIG_FOO)
            EXPORT_SYMBOL(foo_module);
            #endif
            #if defined(CONFIG_BAR) || CONFIG_NR < 32
            EXPORT_SYMBOL(bar_or_small);
            #elif defined(SOMETHING_ELSE)
            EXPORT_SYMBOL(unknown_branch);
            #endif
            """);
        dir.Write("arch/x86/a.c", "EXPORT_SYMBOL(x86_only);\n");
        dir.Write("arch/arm/a.c", "EXPORT_SYMBOL(arm_only);\n");
        var unconfigured = Scan(dir).Exports.Select(e => e.Symbol).ToArray();
        Assert.Equal(["arm_only", "x86_only", "smp_only", "up_only", "foo_module", "bar_or_small", "unknown_branch"], unconfigured);
        var configured = Scan(dir, KernelConfig.Read(config), "x86");
        Assert.Equal(["x86_only", "smp_only", "foo_module", "unknown_branch"], configured.Exports.Select(e => e.Symbol).ToArray());
        Assert.Equal("defined ( SOMETHING_ELSE )", configured.Exports.Single(e => e.Symbol == "unknown_branch").Condition);
    }

    [Theory]
    [InlineData("EXPORT_SYMBOL(a); x = \"abc\\")]   // a backslash escaping nothing at the end (found by fuzzing)
    [InlineData("EXPORT_SYMBOL(a); c = '\\")]
    [InlineData("EXPORT_SYMBOL(a); #define X \\")]
    public void InputEndingInsideALiteral_IsNotACrash(string text)
    {
        using var dir = new TempDir();
        dir.Write("end.c", text);
        var errors = new InputErrors();
        Assert.Equal(["a"], new SourceScanner(errors, new SourceScanOptions()).Scan(dir.Path).Exports.Select(e => e.Symbol));
        // A literal still open at the end of the file is an error on its line; a directive ending in a backslash is not.
        Assert.All(errors.Snapshot(), e => Assert.Equal(("end.c", 1), (e.Path, e.Line ?? 0)));
        Assert.Equal(text.Contains('#') ? 0 : 1, errors.Snapshot().Count);
    }

    [Fact]
    public void UnterminatedComment_IsAnErrorWithLine_TheExportsBeforeItAndTheOtherFilesStillCount()
    {
        using var dir = new TempDir();
        dir.Write("bad.c", "EXPORT_SYMBOL(before);\n/* never closed\nEXPORT_SYMBOL(after);\n");
        dir.Write("good.c", "EXPORT_SYMBOL_GPL(good);\n");
        var errors = new InputErrors();
        var scan = new SourceScanner(errors, new SourceScanOptions()).Scan(dir.Path);
        Assert.Equal(["before", "good"], scan.Exports.Select(e => e.Symbol));
        var error = Assert.Single(errors.Snapshot());
        Assert.Equal(("bad.c", 2, "unterminated comment; the rest of the file is not scanned", Severity.Error), (error.Path, error.Line, error.Message, error.Severity));
    }

    [Fact]
    public void BinaryFileInTheTree_OneLineWithTheOffset_Exit2_TheRestReported()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(Path.Combine(dir.Path, "blob.c"), [.. "EXPORT_SYMBOL(x);"u8.ToArray(), 0, 0xff, 0x7f]);
        dir.Write("good.c", "EXPORT_SYMBOL_GPL(good);\n");
        var r = Support.Cli.Run("scan-source", dir.Path, "--format", "json");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("exportaudit: blob.c@17: binary data (a NUL byte), not C or assembly source; skipped\n", r.Stderr);
        Assert.Contains("\"symbol\": \"good\"", r.Stdout);
    }

    [Fact]
    public void GigabyteSourceFile_IsRefusedWithoutBeingRead_TheRestReported()
    {
        using var dir = new TempDir();
        using (var huge = File.Create(Path.Combine(dir.Path, "huge.c")))
        {
            huge.SetLength(2L << 30); // sparse: no disk used, nothing read
        }
        dir.Write("good.c", "EXPORT_SYMBOL_GPL(good);\n");
        var r = Support.Cli.Run("scan-source", dir.Path, "--format", "json");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("exportaudit: huge.c: file of 2,147,483,648 bytes is larger than the 268,435,456-byte limit\n", r.Stderr);
        Assert.Contains("\"symbol\": \"good\"", r.Stdout);
    }

    private sealed class Told : ISourceFileVisitor
    {
        private IReadOnlyList<string> _files = [];
        public System.Collections.Concurrent.ConcurrentDictionary<string, SourceFileExports> ByFile { get; } = new();
        public void Begin(IReadOnlyList<string> files) => _files = files;
        public void Visit(int index, ReadOnlySpan<byte> data, SourceFileExports exports) => ByFile[_files[index]] = exports;
    }

    [Fact]
    public void TheVisitorIsToldWhatEachFileMayExport_GplOnlyOnlyForExportHsGplMacros()
    {
        // The call graph sweeps a GPL-only file instead of extracting its functions: only export.h's GPL-only macros
        // may make one; a plain macro, a tree-defined wrapper or an unknown invocation of EXPORT_ make it Any.
        using var dir = new TempDir();
        dir.Write("include/wrap.h", "#define MY_EXPORT(x) EXPORT_SYMBOL_GPL(x)\n");
        dir.Write("none.c", "int f(void) { return 0; }\n");
        dir.Write("license.c", "MODULE_LICENSE(\"GPL\");\nMODULE_IMPORT_NS(FOO);\n");
        dir.Write("gpl.c", "int a(void) { return 0; }\nEXPORT_SYMBOL_GPL(a);\nEXPORT_SYMBOL_NS_GPL(a2, NS);\nEXPORT_TRACEPOINT_SYMBOL_GPL(t);\nMODULE_LICENSE(\"GPL\");\n");
        dir.Write("plain.c", "int b(void) { return 0; }\nEXPORT_SYMBOL_GPL(b2);\nEXPORT_SYMBOL(b);\n");
        dir.Write("wrapped.c", "int c(void) { return 0; }\nMY_EXPORT(c);\n");
        var told = new Told();
        new SourceScanner(new InputErrors(), new SourceScanOptions { Jobs = 2 }).Scan(dir.Path, told);
        Assert.Equal(SourceFileExports.None, told.ByFile["none.c"]);
        Assert.Equal(SourceFileExports.None, told.ByFile["license.c"]);
        Assert.Equal(SourceFileExports.GplOnly, told.ByFile["gpl.c"]);
        Assert.Equal(SourceFileExports.Any, told.ByFile["plain.c"]);
        Assert.Equal(SourceFileExports.Any, told.ByFile["wrapped.c"]);
        Assert.Equal(6, told.ByFile.Count);
    }

    [Fact]
    public void WrappersFromHeaders_MarkAFileThatHasNoOtherExport_BareNamesOfParameterlessOnesToo()
    {
        // Each file below exports only through a header's wrapper: a neutral name, EXPORT not followed by '_',
        // a MODULE_ name, EXPORT_ with no '(' after it, and parameterless wrappers used by their bare name (as
        // include/linux/mm.h's DECLARE_VM_GET_PAGE_PROT, a function and its export, is by arch/s390/mm/mmap.c).
        using var dir = new TempDir();
        dir.Write("include/wrappers.h", """
            #define NEUTRAL(x) EXPORT_SYMBOL(x)
            #define MY_EXPORT(x) EXPORT_SYMBOL_GPL(x)
            #define MODULE_MINE(x) EXPORT_SYMBOL(x)
            #define EXPORT_BARE EXPORT_SYMBOL(bare)
            #define DECLARE_THING \
            int thing(void) { return 0; } \
            EXPORT_SYMBOL(thing);
            #define PAREN_ONLY(x) EXPORT_SYMBOL(x)
            """);
        dir.Write("a.c", "int f;\nNEUTRAL(f);\n");
        dir.Write("b.c", "int c;\nMY_EXPORT(c);\n");
        dir.Write("c.c", "int d;\nMODULE_MINE(d);\n");
        dir.Write("d.c", "int bare;\nEXPORT_BARE\nint after;\n");
        dir.Write("e.c", "#include <linux/mm.h>\nDECLARE_THING\n");
        dir.Write("f.c", "int g;\n#define LOCAL_OBJ EXPORT_SYMBOL(g)\nLOCAL_OBJ;\n");
        // Not invocations: a function-like wrapper's bare name, a wrapper's name in a comment or inside a longer name.
        dir.Write("g.c", "int p;\nint (*q)(int) = PAREN_ONLY;\n/* NEUTRAL(commented) */\nint NEUTRAL_x;\n");
        Assert.Equal(
            ["bare EXPORT_SYMBOL  d.c:2", "c EXPORT_SYMBOL_GPL  b.c:2", "d EXPORT_SYMBOL  c.c:2", "f EXPORT_SYMBOL  a.c:2", "g EXPORT_SYMBOL  f.c:3", "thing EXPORT_SYMBOL  e.c:2"],
            Exports(Scan(dir)).Order(StringComparer.Ordinal));
    }
}
