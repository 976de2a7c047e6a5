using System.Text;
using ExportAudit.Ingest.Source;

namespace ExportAudit.Tests.Source;

/// <summary>
/// The scanner's fast paths against the plain code they replaced: the tokenizer's skim (64-byte masks) against the
/// search-and-count loop, and the quick answer for a preprocessor line against the tokenizing one. All on pieces of
/// C put together at random, so that every piece meets every other one at every offset of a 64-byte block.
/// </summary>
public class SkimTests
{
    private static readonly string[] Pieces = [
        "{", "}", ";", "(", ")", "=", "#if X\n", "#else\n", "#endif\n", "#define M(a) m_body(a)\n", "#define A B\n", "#define A B /* c */\n",
        "#define Q \"q\"\n", "#include <linux/x.h>\n", "#include \"a//b.h\"\n", "# define  S\t1\n", "#define L \\\n  more\n", "#define DEFAULT_SYMBOL_NAMESPACE NS\n", "#define X(s) f(s, DEFAULT_SYMBOL_NAMESPACE)\n", "#define DEFINE_X(a) a\n",
        "#define E EXPORT_SYMBOL(e)\n", "#define N(x) x \\\r\n y\n", "#definefoo a b\n", "#define R r\r\n", "static ", "int ", "foo", "bar_baz", "CAPS",
        "1.5e+3", "'{'", "'\\''", "\"}\"", "\"a\\\"b\"", "\"/*\"", "/* } */", "/* a\nb */", "// x\n", "// y \\\n z\n", "\\\n", "\n", " ", "\t", "\r\n",
        "/", "*", "#", "\\", "'", "\"", "EXPORT_SYMBOL(s);", "MODULE_LICENSE(\"GPL\");", new string('x', 61), new string(' ', 63) + "\n",
        // Comments and literals longer than the skips' 64-byte steps, with newlines, stars and escapes on the way.
        "/* " + new string('c', 70) + "\n * *\n" + new string('d', 60) + " */", "\"" + new string('s', 70) + "\\\"" + new string('t', 64) + "\\\\\"",
    ];

    private static IEnumerable<byte[]> RandomTexts(int seed, int rounds)
    {
        var random = new Random(seed);
        for (var round = 0; round < rounds; round++)
        {
            var text = new StringBuilder();
            var count = random.Next(1, 160);
            for (var k = 0; k < count; k++) text.Append(Pieces[random.Next(Pieces.Length)]);
            yield return Encoding.Latin1.GetBytes(text.ToString());
        }
    }

    // The skim as it was written before the masks: a search for the next stop and a count of the newlines before it.
    private sealed class ReferenceSkim(byte[] s)
    {
        public int Pos;
        public int Line = 1;

        // (position of a directive's '#', its line) or null at the limit or past it; mirrors CTokenizer.SkimTo.
        public (int At, int Line)? SkimTo(int limit)
        {
            limit = Math.Min(limit, s.Length);
            while (Pos < limit)
            {
                var stop = s.AsSpan(Pos, limit - Pos).IndexOfAny("/\"'#"u8);
                var end = stop < 0 ? limit : Pos + stop;
                Line += s.AsSpan(Pos, end - Pos).Count((byte)'\n');
                Pos = end;
                if (end == limit) break;
                var c = s[Pos];
                if (c == '/' && Peek(1) == '*') BlockComment();
                else if (c == '/' && Peek(1) == '/') LineComment();
                else if (c is (byte)'"' or (byte)'\'') Literal(c);
                else if (c == '#' && IsLineStart(Pos)) { var at = Pos; Pos++; return (at, Line); }
                else Pos++;
            }
            return null;
        }

        private byte Peek(int ahead) => Pos + ahead < s.Length ? s[Pos + ahead] : (byte)0;

        private bool IsContinuation(int at) => at + 1 < s.Length && (s[at + 1] == '\n' || s[at + 1] == '\r' && at + 2 < s.Length && s[at + 2] == '\n');

        private void Continuations()
        {
            while (Pos < s.Length && s[Pos] == '\\' && IsContinuation(Pos)) { Pos += s[Pos + 1] == '\r' ? 3 : 2; Line++; }
        }

        private void BlockComment()
        {
            Pos += 2;
            var end = s.AsSpan(Pos).IndexOf("*/"u8);
            var body = end < 0 ? s.AsSpan(Pos) : s.AsSpan(Pos, end);
            Line += body.Count((byte)'\n');
            Pos = end < 0 ? s.Length : Pos + end + 2;
        }

        private void LineComment()
        {
            while (Pos < s.Length)
            {
                var stop = s.AsSpan(Pos).IndexOfAny((byte)'\n', (byte)'\\');
                if (stop < 0) { Pos = s.Length; return; }
                Pos += stop;
                if (s[Pos] == '\n') return;
                if (IsContinuation(Pos)) { Continuations(); continue; }
                Pos++;
            }
        }

        private void Literal(byte quote)
        {
            Pos++;
            while (Pos < s.Length)
            {
                var c = s[Pos];
                if (c == '\\') { if (IsContinuation(Pos)) { Continuations(); continue; } Pos++; Continuations(); if (Pos < s.Length && s[Pos] != '\n') Pos++; continue; }
                if (c == quote) { Pos++; return; }
                if (c == '\n') return;
                Pos++;
            }
        }

        private bool IsLineStart(int at)
        {
            var i = at - 1;
            while (i >= 0 && s[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\f' or (byte)'\v') i--;
            if (i < 0) return true;
            if (s[i] != '\n') return false;
            var before = i - 1;
            if (before >= 0 && s[before] == '\r') before--;
            return before < 0 || s[before] != '\\';
        }
    }

    [Fact]
    public void Skim_FindsTheSameDirectivesLinesAndStops_AsTheSearchAndCountLoop()
    {
        var random = new Random(7);
        var texts = 0;
        foreach (var data in RandomTexts(20261201, 3000))
        {
            // Limits where a scanner's candidates would be, and none.
            var limits = Enumerable.Range(0, random.Next(0, 4)).Select(_ => random.Next(0, data.Length + 1)).Order().Append(int.MaxValue).ToArray();
            var reference = new ReferenceSkim(data);
            var tokenizer = new CTokenizer(data);
            foreach (var limit in limits)
            {
                while (true)
                {
                    var expected = reference.SkimTo(limit);
                    var found = tokenizer.SkimTo(limit, out var directive);
                    Assert.Equal(expected.HasValue, found);
                    if (!found)
                    {
                        Assert.Equal(reference.Pos, tokenizer.Position);
                        break;
                    }
                    Assert.Equal(expected!.Value, (directive.Start, directive.Line));
                    // The scanner then reads the directive's tokens: skip them the same way on both sides.
                    while (tokenizer.Next(out var token) && token.Kind != CTokenKind.DirectiveEnd)
                    {
                    }
                    reference = new ReferenceSkim(data) { Pos = tokenizer.Position, Line = LineAt(data, tokenizer.Position) };
                }
                if (tokenizer.Position >= data.Length) break;
            }
            texts++;
        }
        Assert.Equal(3000, texts);
    }

    // 1 + the newlines before position at (the line the skim is on there).
    private static int LineAt(byte[] data, int at) => 1 + data.AsSpan(0, Math.Min(at, data.Length)).Count((byte)'\n');

    [Fact]
    public void Skim_CountsLinesInBlocksWithoutStops_AndStopsAtTheLimitInsideABlock()
    {
        var data = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("int a = b + c;\n", 40)) + "#define X 1\n" + new string('y', 100));
        var tokenizer = new CTokenizer(data);
        Assert.False(tokenizer.SkimTo(70, out _));
        Assert.Equal(70, tokenizer.Position);
        Assert.True(tokenizer.SkimTo(int.MaxValue, out var directive));
        Assert.Equal((40 * 15, 41), (directive.Start, directive.Line));
    }

    [Fact]
    public void SkippableDirective_TheQuickAnswerIsTheTokenizingOne()
    {
        var quick = 0;
        foreach (var data in RandomTexts(4242, 4000))
        {
            var text = data.AsSpan();
            var marks = Marks(text);
            for (var hash = text.IndexOf((byte)'#'); hash >= 0; hash = NextHash(text, hash))
            {
                // The scanner's next candidate: every EXPORT and MODULE_ is one (where an identifier holding it starts).
                var candidate = int.MaxValue;
                var next = Array.FindIndex(marks, m => m > hash);
                if (next >= 0)
                {
                    var at = marks[next];
                    while (at > hash + 1 && CTokenizer.IsIdentPart(text[at - 1])) at--;
                    candidate = at;
                }
                var expected = SkippableDirective.LongWay(text, hash + 1, out var expectedEnd, out var expectedInclude);
                var found = SkippableDirective.Test(text, hash + 1, candidate, out var lineEnd, out var include);
                Assert.True(expected == found, $"'{Encoding.Latin1.GetString(data[hash..Math.Min(data.Length, hash + 60)])}': {found} against {expected}");
                if (found)
                {
                    Assert.Equal((expectedEnd, expectedInclude), (lineEnd, include));
                }
                quick++;
            }
        }
        Assert.True(quick > 10000, $"{quick} lines");
    }

    private static readonly NeedleSet MarkSet = new(SourceScanner.Marks);

    // Where each EXPORT and MODULE_ starts, ascending.
    private static int[] Marks(ReadOnlySpan<byte> text)
    {
        var hits = new List<(int At, int Needle)>();
        MarkSet.FindAll(text, hits);
        return [.. hits.Select(h => h.At).Order()];
    }

    private static int NextHash(ReadOnlySpan<byte> text, int hash)
    {
        var next = text[(hash + 1)..].IndexOf((byte)'#');
        return next < 0 ? -1 : hash + 1 + next;
    }

    [Fact]
    public void SkippableDirective_UsualLines()
    {
        static (bool, int) Test(string line)
        {
            var data = Encoding.ASCII.GetBytes(line + new string(' ', 70)); // the quick way needs 64 bytes after the line
            return (SkippableDirective.Test(data, 1, int.MaxValue, out var end, out _), end);
        }
        // Skippable, to the newline that ends the logical line (the last character here).
        foreach (var line in new[] { "#define A 1\n", "#define F(x) (x)\n", "#define L a \\\n b\n", "#define C a \\\r\n b\n", "#include <linux/a.h>\n", "#  include \"x.h\"\n" })
        {
            Assert.Equal((true, line.Length - 1), Test(line));
        }
        Assert.False(Test("#define A B\n").Item1); // a rename
        Assert.False(Test("#define A B\r\n").Item1);
        Assert.False(Test("#define DEFAULT_SYMBOL_NAMESPACE NS\n").Item1);
        Assert.False(Test("#define A \"a\"\n").Item1); // quotes: the long way, which keeps them
        Assert.False(Test("#if A\n").Item1);
        // A line holding a candidate (an EXPORT) goes the long way, which keeps it.
        var export = Encoding.ASCII.GetBytes("#define E EXPORT_SYMBOL(e)\n" + new string(' ', 70));
        Assert.False(SkippableDirective.Test(export, 1, 10, out _, out _));
    }

    [Fact]
    public void ABackslashNewlineAfterAnEscapedBackslash_StillContinuesTheLiteral()
    {
        // C splices backslash-newlines before it reads escapes: x, two backslashes and a newline is a literal that goes
        // on, and the #endif after it is inside the string, no directive (found by the csource fuzz target).
        var data = Encoding.ASCII.GetBytes("s = \"x\\\\\n#endif\";\nint y;\n"); // x, two backslashes, a newline
        var tokenizer = new CTokenizer(data);
        var kinds = new List<CTokenKind>();
        while (tokenizer.Next(out var token)) kinds.Add(token.Kind);
        Assert.DoesNotContain(CTokenKind.Directive, kinds);
        Assert.Equal([CTokenKind.Identifier, CTokenKind.Punct, CTokenKind.String, CTokenKind.Punct, CTokenKind.Identifier, CTokenKind.Identifier, CTokenKind.Punct], kinds);
        Assert.Null(tokenizer.Problem);
        // A literal with no backslash before the newline still ends there, unterminated, and the next line is a directive.
        var open = new CTokenizer(Encoding.ASCII.GetBytes("s = \"x\\\\y\n#endif\n"));
        var openKinds = new List<CTokenKind>();
        while (open.Next(out var token)) openKinds.Add(token.Kind);
        Assert.Contains(CTokenKind.Directive, openKinds);
    }
}

