using System.Text;
using System.Text.RegularExpressions;
using ExportAudit.Ingest.Source;

namespace ExportAudit.Tests.Source;

/// <summary>
/// The sweep against its definition, FunctionExtractor: the same uses (inside braces, #define bodies, anywhere in
/// .S) and the same non-static functions of a .c file, with the 64-byte classes found by vectors and byte by byte.
/// </summary>
public class UseSweepTests
{
    // What the extractor says about a file: the names it uses (every identifier of the text watched) and its
    // non-static functions, in order.
    internal static (HashSet<string> Uses, List<string> Globals) ByExtractor(byte[] data, bool assembly, bool isC)
    {
        var names = Regex.Matches(Encoding.Latin1.GetString(data), "[A-Za-z_$][A-Za-z0-9_$]*").Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
        var used = new HashSet<string>(StringComparer.Ordinal);
        var functions = FunctionExtractor.Extract("f", data, new Utf8NameSet(names), used, assembly, withCalls: false);
        return (used, isC && !assembly ? functions.Where(f => !f.IsStatic).Select(f => f.Name).ToList() : []);
    }

    internal static (HashSet<string> Uses, List<string> Globals) BySweep(byte[] data, bool assembly, bool isC, bool vectors)
    {
        var names = Regex.Matches(Encoding.Latin1.GetString(data), "[A-Za-z_$][A-Za-z0-9_$]*").Select(m => m.Value).Distinct().ToDictionary(NameHashSet.Hash, n => n);
        var set = new NameHashSet();
        var globals = isC ? new List<string>() : null;
        if (vectors) UseSweep.Run(data, assembly, set, globals);
        else UseSweep.RunScalar(data, assembly, set, globals);
        // Hashes of names not in the text: only a name split by a backslash-newline could make one, and those are never kept.
        return (set.ToArray().Select(h => names[h]).ToHashSet(StringComparer.Ordinal), globals ?? []);
    }

    private static void AssertSame(string text, bool assembly = false, bool isC = true)
    {
        var data = Encoding.Latin1.GetBytes(text);
        var expected = ByExtractor(data, assembly, isC);
        foreach (var vectors in new[] { true, false })
        {
            var actual = BySweep(data, assembly, isC, vectors);
            Assert.True(expected.Uses.SetEquals(actual.Uses),
                $"vectors {vectors}: extractor [{string.Join(" ", expected.Uses.Order())}], sweep [{string.Join(" ", actual.Uses.Order())}] in\n{text}");
            Assert.True(expected.Globals.SequenceEqual(actual.Globals), $"vectors {vectors}: extractor functions [{string.Join(" ", expected.Globals)}], sweep [{string.Join(" ", actual.Globals)}] in\n{text}");
        }
    }

    [Fact]
    public void UsesInBodiesDefinesAndInitializers_NotInCommentsStringsOrPrototypes()
    {
        const string text = """
            /* kmalloc in a comment */ // and kfree here
            int proto(int a);
            static const struct ops my_ops = { .open = my_open, .release = other_release };
            #define WRAP(x) do_wrap(x, WRAP_FLAG)
            #include "header.h"
            #if defined(CONFIG_FOO)
            int exported_one(struct device *dev)
            {
                char *s = "kfree(dev)"; char c = '{';
                return helper(dev) + 0x1e+abc + 1.fake + .5e-3;
            }
            #endif
            static void helper2(void) { exported_one(NULL); }
            """;
        AssertSame(text);
        var sweep = BySweep(Encoding.Latin1.GetBytes(text), false, true, true);
        Assert.Contains("my_open", sweep.Uses);
        Assert.Contains("do_wrap", sweep.Uses);
        Assert.Contains("helper", sweep.Uses);
        Assert.DoesNotContain("kmalloc", sweep.Uses);
        Assert.DoesNotContain("kfree", sweep.Uses);
        Assert.DoesNotContain("proto", sweep.Uses);
        Assert.DoesNotContain("fake", sweep.Uses); // part of the number 1.fake
        Assert.Equal(["exported_one"], sweep.Globals);
    }

    [Fact]
    public void FileScopeParenthesesAndInitializers_OperandsAreUses_DeclaredNamesAreNot()
    {
        const string text = """
            static SIMPLE_DEV_PM_OPS(foo_pm_ops, foo_suspend, foo_resume);
            static struct kobj_attribute a = __ATTR(name, 0644, var_show, var_store);
            static void (*hook)(void) = &hook_target;
            int count = 3 + base_count;
            TRACE_EVENT(traced_fn, TP_printk("%s", str_fn(__entry->cond)));
            int proto(struct tag_name *param, enum enum_tag e) __attribute__((nonnull(1)));
            ACPI_WRAPPED(int wrapped_proto(int x));
            extern int (*fnptr_decl)(u64 v);
            DECLARE_STATIC_KEY_FALSE(declared_key);
            module_driver(drv, drv_register, /* c */ drv_unregister);
            int after_all;
            """;
        AssertSame(text);
        var uses = BySweep(Encoding.Latin1.GetBytes(text), false, true, true).Uses;
        foreach (var name in new[] { "foo_suspend", "foo_resume", "var_show", "var_store", "hook_target", "base_count", "str_fn", "__entry", "drv_register", "drv_unregister" })
        {
            Assert.Contains(name, uses);
        }
        foreach (var name in new[] { "foo_pm_ops", "name", "hook", "count", "traced_fn", "cond", "proto", "tag_name", "param", "enum_tag", "e", "wrapped_proto", "fnptr_decl", "v", "declared_key", "drv", "after_all" })
        {
            Assert.DoesNotContain(name, uses);
        }
        // A header too (no function names are kept, the uses are the same).
        AssertSame(text, isC: false);
    }

    [Fact]
    public void AlternativeHeadersUnderIfElse_ContinuationsAndAttributes_AsTheExtractorSeesThem()
    {
        AssertSame("""
            #ifdef CONFIG_A
            int alt(int a) {
            #else
            int alt(long a) {
            #endif
                return call_a(a);
            }
            void __init setup_thing(void) __acquires(lock)
            {
                spin_lock(&lock);
            }
            int split_na\
            me(void) { return con\
            tinued(); }
            int after(void)
            #if 0
            ;
            #endif
            { return inner(); }
            struct s { int x; } var = { 1 };
            int *table[] = { &a, &b };
            static int __maybe_unused quiet(void) { return loud(); }
            int commented(void) // done!
            { return after_comment(); }
            int block_commented(void) /* done; */ { return after_block(); }
            static const struct ops table = /* ops */ { .f = in_table };
            """);
    }

    [Fact]
    public void AssemblyUsesEverywhere_DirectivesOnlyInDefineBodies()
    {
        AssertSame("""
            #include <linux/linkage.h>
            #define CALL_IT call do_thing
            SYM_FUNC_START(entry)
                call handler_one
                jmp .Lout
            # a comment line in some assemblers
            SYM_FUNC_END(entry)
            """, assembly: true, isC: false);
    }

    [Fact]
    public void Headers_UsesOnly_NoFunctions()
    {
        AssertSame("""
            static inline int wrapper(struct page *p) { return gpl_only_thing(p); }
            extern int declared(void);
            #define A_MACRO(x) (expands_to(x) + 1)
            """, isC: false);
    }

    [Fact]
    public void IdentifiersAcrossTheSixtyFourByteBlocks_AtEveryOffset()
    {
        foreach (var pad in Enumerable.Range(0, 70))
        {
            foreach (var length in new[] { 1, 7, 8, 9, 63, 64, 65, 130 })
            {
                var name = "n" + new string('x', length - 1);
                AssertSame("void f(void) {" + new string(' ', pad) + name + "(); tail_call(); }");
                AssertSame("void f(void) {" + new string('\t', pad) + name);
            }
        }
    }

    [Fact]
    public void BrokenInput_UnterminatedCommentsAndLiterals_StrayBraces_CrLf_NonAscii()
    {
        AssertSame("int f(void) { a(); /* never closed");
        AssertSame("int f(void) { b(\"never closed\n c(); }");
        AssertSame("} } int g(void) { d(); } {");
        AssertSame("int f(void)\r\n{\r\n\te();\r\n}\r\n#define X \\\r\n  y()\r\n");
        AssertSame("int f(void) { caf\u00e9(); \u00ff(); z(); }\\");
        AssertSame("");
        AssertSame("#");
        AssertSame("#define");
        AssertSame("a");
    }

    [Fact]
    public void DeclarationsThatStartWithStatic_TheQuickAnswerOnlyWhereItIsTheExtractors()
    {
        // The sweep passes a declaration whose first token is `static` followed by a name without tokenizing it; a
        // continuation joining the word to the next, a '(' after it, a comment or directive before the name go the long way.
        AssertSame("static int f(void) { return g(); }\n  \n\tstatic\tinline int h(void) { return 1; }\nint visible(void) { return 0; }\n");
        AssertSame("static\\\nint joined(void) { return 0; }\n");
        AssertSame("static(void) { return 0; }\nstatic (int x) { return x; }\n");
        AssertSame("staticky named(void) { return 0; }\nstatic_assert_like(void) { return 0; }\n");
        AssertSame("static /* int */ int commented(void) { return 0; }\nstatic\n#ifdef X\nint\n#endif\nunder_if(void) { return 0; }\n");
        AssertSame("/* x */ static int after_comment(void) { return 0; }\n#define S static\nS int through_macro(void) { return 0; }\n");
    }

    [Fact]
    public void RandomCLikeText_TheSameAsTheExtractor()
    {
        string[] pieces = ["{", "}", ";", "(", ")", "=", "#if X\n", "#else\n", "#endif\n", "#define M(a) m_body(a)\n", "static ", "int ", "foo", "bar_baz",
            "__attr", "CAPS", "1.5e+3", "0x1f", ".7", "'{'", "'\\''", "\"}\"", "\"a\\\"b\"", "/* } */", "// x\n", "// y!\n", "\\\n", "\n", " ", "\t", "struct ", "$d", "\r\n", "/", "*", "#", "\\",
            "static", "\nstatic\\\n", "staticx ", ",", "&", "->", ".", "enum ", "*", "=="];
        var random = new Random(20261201);
        for (var round = 0; round < 3000; round++)
        {
            var text = new StringBuilder();
            var count = random.Next(1, 120);
            for (var k = 0; k < count; k++) text.Append(pieces[random.Next(pieces.Length)]);
            AssertSame(text.ToString(), assembly: round % 7 == 0, isC: round % 5 != 0 && round % 7 != 0); // a .S file is never a .c one
        }
    }

    [Fact]
    public void HashAfterCommentsAndContinuations_ADirectiveExactlyWhereTheTokenizerSaysSo()
    {
        // The tokenizer's line-start flag survives block comments (of any length) and continuations, not tokens.
        AssertSame("void f(void) {\n/* c */ #define X y_use\n}");
        AssertSame("void f(void) {\n/* a\n b */ #define X y_use\n}");
        AssertSame("void f(void) {\n x /* c */ #define X y_use\n}");
        AssertSame("void f(void) {\n\\\n#define X y_use\n}");
        AssertSame("void f(void) {\n z\\\n#define X y_use\n}");
        AssertSame("/* at the start */#define X y_use\nint f(void) { X; }");
        AssertSame("void f(void) {\n\t/* abort */#\n\tout_8(x);\n}"); // drivers/net/can/mscan/mscan.c in 6.1
        var text = Encoding.Latin1.GetBytes("void f(void) {\n/* c */ #define X y_use\n}");
        Assert.Equal(["y_use"], BySweep(text, false, true, true).Uses.Order());
    }

    [Fact]
    public void NameHashes_TheSameFromAStringFromBytesAndInsideABuffer()
    {
        foreach (var length in Enumerable.Range(1, 40))
        {
            var name = string.Concat(Enumerable.Range(0, length).Select(i => (char)('a' + i % 26)));
            var bytes = Encoding.ASCII.GetBytes(name);
            var expected = NameHashSet.Hash(name);
            Assert.Equal(expected, NameHashSet.Hash(bytes));
            foreach (var before in new[] { 0, 3 })
            {
                foreach (var after in new[] { 0, 1, 7, 8 })
                {
                    var buffer = new byte[before + length + after];
                    Array.Fill(buffer, (byte)'q');
                    bytes.CopyTo(buffer, before);
                    Assert.Equal(expected, NameHashSet.Hash(buffer, before, length));
                }
            }
        }
        Assert.NotEqual(NameHashSet.Hash("ab"), NameHashSet.Hash("ba"));
        Assert.NotEqual(NameHashSet.Hash("a"), NameHashSet.Hash("a\0"));
    }

    // The hash as defined, a byte at a time: eight-byte little-endian steps, then the rest's bytes in order, then the
    // final mix. The fast paths (one load for a short name inside a buffer, one for a long name's rest) must give it.
    [Fact]
    public void NameHashes_AreTheDefinedFunction_AtEveryLength()
    {
        static ulong Reference(byte[] name)
        {
            var h = 0x9E3779B97F4A7C15UL ^ (ulong)name.Length;
            var i = 0;
            for (; i + 8 <= name.Length; i += 8)
            {
                ulong word = 0;
                for (var k = 7; k >= 0; k--) word = word << 8 | name[i + k];
                h = (h ^ word) * 0xFF51AFD7ED558CCDUL;
                h ^= h >> 32;
            }
            if (i < name.Length)
            {
                ulong rest = 0;
                for (var k = name.Length - 1; k >= i; k--) rest = rest << 8 | name[k];
                h = (h ^ rest) * 0xC4CEB9FE1A85EC53UL;
            }
            h ^= h >> 33;
            h *= 0xFF51AFD7ED558CCDUL;
            h ^= h >> 33;
            return h == 0 ? 1 : h;
        }
        var random = new Random(61);
        foreach (var length in Enumerable.Range(1, 40))
        {
            var name = new byte[length];
            random.NextBytes(name);
            var buffer = new byte[length + 16];
            random.NextBytes(buffer);
            name.CopyTo(buffer, 5);
            Assert.Equal(Reference(name), NameHashSet.Hash(name));
            Assert.Equal(Reference(name), NameHashSet.Hash(buffer, 5, length));
        }
    }

    [Fact]
    public void NameHashSet_KeepsEachHashOnce_GrowsAndClears()
    {
        var set = new NameHashSet();
        for (var i = 0; i < 10_000; i++)
        {
            set.Add(Encoding.ASCII.GetBytes($"name_{i % 5000}"));
        }
        Assert.Equal(5000, set.Count);
        Assert.Equal(5000, set.ToArray().Distinct().Count());
        set.Clear();
        Assert.Equal(0, set.Count);
        set.Add("again"u8);
        Assert.Equal([NameHashSet.Hash("again")], set.ToArray());
    }
}
