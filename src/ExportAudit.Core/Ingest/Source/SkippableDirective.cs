using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ExportAudit.Ingest.Source;

/// <summary>
/// Whether the scanner's skim may pass a preprocessor line without tokens: a #define HandleDirective would not keep
/// (no EXPORT or DEFAULT_SYMBOL_NAMESPACE in it, not "#define a b") or an #include (only noted). Most of a header's
/// lines are these, so the usual ones (no comment, no quote in a #define, the first tokens plain names) are decided
/// from 64-byte masks and a look at the first three tokens; any other line goes the long way, which tokenizes it.
/// The two give the same answer: the quick one decides only lines that hold none of what the long way looks for
/// (a unit test and the csource fuzz target compare them at every '#'; the fuzzer found the quick one once passing a
/// body that named DEFAULT_SYMBOL_NAMESPACE, harmless but not the same answer, so that name now sends a line the long way).
/// </summary>
internal static class SkippableDirective
{
    /// <param name="afterHash">Just after the line's '#'.</param>
    /// <param name="nextCandidate">The scanner's first candidate name at or after the '#' (every EXPORT of the file is
    /// one): a line that holds one goes the long way.</param>
    /// <param name="lineEnd">The newline ending the logical line (continuations and block comments followed).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool Test(ReadOnlySpan<byte> data, int afterHash, int nextCandidate, out int lineEnd, out bool include)
    {
        var keyword = afterHash;
        while (keyword < data.Length && data[keyword] is (byte)' ' or (byte)'\t')
        {
            keyword++;
        }
        var rest = data[keyword..];
        include = rest.StartsWith("include"u8);
        if (!include && !rest.StartsWith("define"u8))
        {
            lineEnd = 0;
            return false;
        }
        var end = PlainLineEnd(data, keyword, quotesAllowed: include);
        if (end >= 0 && (include || nextCandidate >= end))
        {
            lineEnd = end;
            if (include)
            {
                return true;
            }
            switch (DefineKind(data, keyword, end))
            {
                case Define.Kept:
                    return false;
                case Define.Skippable:
                    return true;
            }
        }
        return LongWay(data, afterHash, out lineEnd, out include);
    }

    private enum Define { Skippable, Kept, Unknown }

    // "define NAME ..." without comments, quotes or DEFAULT_SYMBOL_NAMESPACE: a rename ("define a b", exactly three
    // tokens, the third a name) is kept. A continuation or an unusual token among the first three: unknown. The line
    // is data[keyword..end]; its first tokens are found from masks of its first 64 bytes (a header is mostly such
    // lines, and the loops byte by byte were 7 % of the marked files' scan), byte by byte where they go further.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Define DefineKind(ReadOnlySpan<byte> data, int keyword, int end)
    {
        var line = data[keyword..end];
        if (!Vector256.IsHardwareAccelerated || keyword + 64 > data.Length)
        {
            return DefineKind(line);
        }
        ref var start = ref Unsafe.Add(ref MemoryMarshal.GetReference(data), keyword);
        var inLine = line.Length >= 64 ? ~0UL : (1UL << line.Length) - 1;
        var ident = ByteMask.Identifier(ref start) & inLine;
        var blank = ByteMask.Blank(ref start) & inLine;
        // A run that reaches the masks' end may go on past it: those lines go byte by byte.
        var at = Run(blank, Run(ident, 0)); // "define", or a longer name the long way also takes as the first token
        if (at >= 64) return DefineKind(line);
        if (at == line.Length) return Define.Skippable;
        if (!CTokenizer.IsIdentStart(line[at])) return Define.Unknown;
        at = Run(ident, at);
        if (at >= 64) return DefineKind(line);
        if (at < line.Length && line[at] == '\\') return Define.Unknown;
        at = Run(blank, at);
        if (at >= 64) return DefineKind(line);
        if (at == line.Length) return Define.Skippable;
        if (line[at] == '\\') return Define.Unknown;
        if (!CTokenizer.IsIdentStart(line[at])) return Define.Skippable; // the third token is no name
        at = Run(blank, Run(ident, at));
        if (at >= 64) return DefineKind(line);
        if (at < line.Length && line[at] == '\\') return Define.Unknown;
        return at == line.Length ? Define.Kept : Define.Skippable;

        // The first position at or after `from` whose bit is clear (64 when none is).
        static int Run(ulong mask, int from) => from >= 64 ? 64 : from + BitOperations.TrailingZeroCount(~(mask >> from));
    }

    // The same byte by byte.
    private static Define DefineKind(ReadOnlySpan<byte> line)
    {
        var at = Identifier(line, 0); // "define", or a longer name the long way also takes as the first token
        at = Blanks(line, at);
        if (at == line.Length) return Define.Skippable;
        if (!CTokenizer.IsIdentStart(line[at])) return Define.Unknown;
        at = Identifier(line, at);
        if (at < line.Length && line[at] == '\\') return Define.Unknown;
        at = Blanks(line, at);
        if (at == line.Length) return Define.Skippable;
        if (line[at] == '\\') return Define.Unknown;
        if (!CTokenizer.IsIdentStart(line[at])) return Define.Skippable; // the third token is no name
        at = Blanks(line, Identifier(line, at));
        if (at < line.Length && line[at] == '\\') return Define.Unknown;
        return at == line.Length ? Define.Kept : Define.Skippable;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static int Identifier(ReadOnlySpan<byte> s, int at)
        {
            while (at < s.Length && CTokenizer.IsIdentPart(s[at])) at++;
            return at;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static int Blanks(ReadOnlySpan<byte> s, int at)
        {
            while (at < s.Length && s[at] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\f' or (byte)'\v') at++;
            return at;
        }
    }

    // The newline that ends the logical line starting at from (a backslash before a newline continues it), when the
    // line opens no comment and, unless quotes are allowed (an #include), has no quote and does not name
    // DEFAULT_SYMBOL_NAMESPACE; -1 otherwise, and in the last 64 bytes.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // vector code: ReadyToRun leaves it to the JIT
    private static int PlainLineEnd(ReadOnlySpan<byte> data, int from, bool quotesAllowed)
    {
        if (!Vector256.IsHardwareAccelerated)
        {
            return -1;
        }
        ref var start = ref MemoryMarshal.GetReference(data);
        var physical = from; // where the current physical line starts
        for (var i = from; i + 64 <= data.Length; i += 64)
        {
            ref var block = ref Unsafe.Add(ref start, i);
            var slashes = ByteMask.Equal(ref block, (byte)'/');
            var bad = (slashes & ((slashes | ByteMask.Equal(ref block, (byte)'*')) >> 1)) | (slashes & 1UL << 63); // "//", "/*", or maybe
            if (!quotesAllowed)
            {
                bad |= ByteMask.Equal(ref block, (byte)'"') | ByteMask.Equal(ref block, (byte)'\'') | NamespaceMentions(data, i, ref block);
            }
            for (var newlines = ByteMask.Equal(ref block, (byte)'\n'); ; newlines &= newlines - 1)
            {
                if (newlines == 0)
                {
                    if (bad != 0) return -1;
                    break;
                }
                var bit = BitOperations.TrailingZeroCount(newlines);
                if ((bad & ((1UL << bit) - 1)) != 0) return -1;
                var newline = i + bit;
                var last = newline - 1;
                if (last >= physical && data[last] == '\r') last--;
                if (last < physical || data[last] != '\\')
                {
                    return newline;
                }
                physical = newline + 1;
            }
        }
        return -1;
    }

    // Where DEFAULT_SYMBOL_NAMESPACE starts in the block at i, which the long way keeps a line for wherever it stands:
    // "DE" found by masks (a 'D' last in the block counts), then the name checked whole.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong NamespaceMentions(ReadOnlySpan<byte> data, int i, ref byte block)
    {
        var d = ByteMask.Equal(ref block, (byte)'D');
        var starts = d & ((ByteMask.Equal(ref block, (byte)'E') >> 1) | 1UL << 63);
        var found = 0UL;
        for (; starts != 0; starts &= starts - 1)
        {
            var bit = BitOperations.TrailingZeroCount(starts);
            if (data[(i + bit)..].StartsWith("DEFAULT_SYMBOL_NAMESPACE"u8))
            {
                found |= 1UL << bit;
            }
        }
        return found;
    }

    // The tokenizing way (lines with quotes, comments, continuations in their first tokens, EXPORT).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool LongWay(ReadOnlySpan<byte> data, int afterHash, out int lineEnd, out bool include)
    {
        lineEnd = 0;
        include = false;
        var rest = data[afterHash..];
        var keyword = rest.IndexOfAnyExcept(" \t"u8);
        if (keyword < 0)
        {
            return false;
        }
        rest = rest[keyword..];
        include = rest.StartsWith("include"u8);
        if (!include && !rest.StartsWith("define"u8))
        {
            return false;
        }
        // The logical line: to a newline not escaped by a backslash and not inside a block comment.
        var end = 0;
        while (true)
        {
            var newline = rest[end..].IndexOf((byte)'\n');
            var lineStop = newline < 0 ? rest.Length : end + newline;
            var segment = rest[end..lineStop];
            if (!include && segment.IndexOfAny(Quotes) >= 0 || segment.IndexOf("//"u8) >= 0)
            {
                return false;
            }
            var open = segment.LastIndexOf("/*"u8);
            if (open >= 0 && segment[open..].IndexOf("*/"u8) < 0)
            {
                var close = rest[(end + open + 2)..].IndexOf("*/"u8);
                if (close < 0) return false; // unterminated: the tokenizer reports it
                end = end + open + 2 + close + 2;
                continue;
            }
            var last = lineStop - 1;
            if (last >= end && rest[last] == '\r') last--;
            if (newline >= 0 && last >= end && rest[last] == '\\')
            {
                end = lineStop + 1;
                continue;
            }
            end = lineStop;
            break;
        }
        var line = rest[..end];
        lineEnd = afterHash + keyword + end;
        if (include)
        {
            return true;
        }
        if (line.IndexOf("EXPORT"u8) >= 0 || line.IndexOf("DEFAULT_SYMBOL_NAMESPACE"u8) >= 0)
        {
            return false;
        }
        // "define NAME IDENT" renames; anything else is skipped. At most four tokens are looked at.
        var tokenizer = new CTokenizer(line);
        Span<CTokenKind> kinds = stackalloc CTokenKind[4];
        var count = 0;
        while (count < 4 && tokenizer.Next(out var token))
        {
            kinds[count++] = token.Kind;
        }
        return !(count == 3 && kinds[2] == CTokenKind.Identifier) && tokenizer.Problem is null;
    }

    private static readonly SearchValues<byte> Quotes = SearchValues.Create("\"'"u8);
}
