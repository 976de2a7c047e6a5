using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ExportAudit.Ingest.Source;

public enum CTokenKind : byte
{
    Identifier,
    Number,
    String,
    Char,
    Punct,
    /// <summary>'#' opening a preprocessor line; the line's tokens follow, then <see cref="DirectiveEnd"/>.</summary>
    Directive,
    DirectiveEnd,
}

/// <summary>A token: where it is in the file's bytes and on which line it starts.</summary>
public readonly record struct CToken(CTokenKind Kind, int Start, int Length, int Line)
{
    public ReadOnlySpan<byte> Text(ReadOnlySpan<byte> source) => source.Slice(Start, Length);
}

/// <summary>
/// A C (and .S) tokenizer for the scanner, over the file's bytes: comments (block, line, continued line),
/// string and character literals with escapes, backslash-newline continuations anywhere, and preprocessor
/// lines bracketed by Directive/DirectiveEnd. Never throws on bad input: an unterminated comment or literal
/// ends at the end of the file and is reported through <see cref="Problem"/>.
/// </summary>
public ref struct CTokenizer
{
    private readonly ReadOnlySpan<byte> _s;
    private int _pos;
    private int _line;
    private bool _atLineStart;
    private bool _inDirective;

    public CTokenizer(ReadOnlySpan<byte> source) : this(source, atLineStart: true)
    {
    }

    /// <param name="atLineStart">False: the bytes start after a token of the same line (a '#' first is then not a directive).</param>
    public CTokenizer(ReadOnlySpan<byte> source, bool atLineStart)
    {
        _s = source;
        _pos = 0;
        _line = 1;
        _atLineStart = atLineStart;
        _inDirective = false;
        Problem = null;
    }

    /// <summary>The first problem met (unterminated comment or literal), with its line; null when none.</summary>
    public (int Line, string Message)? Problem { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Next(out CToken token)
    {
        while (true)
        {
            if (_pos < _s.Length && _s[_pos] == '\\') // the call only where one can start: this is every token's first step
            {
                SkipContinuations();
            }
            if (_pos >= _s.Length)
            {
                if (_inDirective)
                {
                    _inDirective = false;
                    token = new CToken(CTokenKind.DirectiveEnd, _pos, 0, _line);
                    return true;
                }
                token = default;
                return false;
            }
            var c = _s[_pos];
            if (c == '\n')
            {
                if (_inDirective)
                {
                    _inDirective = false;
                    token = new CToken(CTokenKind.DirectiveEnd, _pos, 0, _line);
                    _pos++;
                    _line++;
                    _atLineStart = true;
                    return true;
                }
                _pos++;
                _line++;
                _atLineStart = true;
                continue;
            }
            if (c is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\f' or (byte)'\v')
            {
                var run = _s[_pos..].IndexOfAnyExcept(Blanks);
                _pos = run < 0 ? _s.Length : _pos + run;
                continue;
            }
            if (c == '/' && Peek(1) == '*')
            {
                SkipBlockComment();
                continue;
            }
            if (c == '/' && Peek(1) == '/')
            {
                SkipLineComment();
                continue;
            }
            var start = _pos;
            var line = _line;
            if (c == '#' && _atLineStart && !_inDirective)
            {
                _pos++;
                _inDirective = true;
                _atLineStart = false;
                token = new CToken(CTokenKind.Directive, start, 1, line);
                return true;
            }
            _atLineStart = false;
            if (IsIdentStart(c))
            {
                _pos++;
                while (_pos < _s.Length)
                {
                    var run = _s[_pos..].IndexOfAnyExcept(IdentChars);
                    _pos = run < 0 ? _s.Length : _pos + run;
                    if (_pos < _s.Length && _s[_pos] == '\\' && IsContinuation(_pos)) { SkipContinuations(); continue; }
                    break;
                }
                token = new CToken(CTokenKind.Identifier, start, _pos - start, line);
                return true;
            }
            if (c is >= (byte)'0' and <= (byte)'9' || c == '.' && Peek(1) is >= (byte)'0' and <= (byte)'9')
            {
                _pos++;
                while (_pos < _s.Length && (IsIdentPart(_s[_pos]) || _s[_pos] == '.' ||
                       (_s[_pos] is (byte)'+' or (byte)'-' && _s[_pos - 1] is (byte)'e' or (byte)'E' or (byte)'p' or (byte)'P')))
                {
                    _pos++;
                }
                token = new CToken(CTokenKind.Number, start, _pos - start, line);
                return true;
            }
            if (c is (byte)'"' or (byte)'\'')
            {
                SkipLiteral(c);
                token = new CToken(c == '"' ? CTokenKind.String : CTokenKind.Char, start, _pos - start, line);
                return true;
            }
            _pos++;
            token = new CToken(CTokenKind.Punct, start, 1, line);
            return true;
        }
    }

    /// <summary>Where the next token or skim starts.</summary>
    public readonly int Position => _pos;

    /// <summary>
    /// Moves through ordinary code towards <paramref name="limit"/> without making tokens, skipping comments and
    /// literals exactly as <see cref="Next"/> does and counting lines. Returns true at a preprocessor line (its
    /// Directive token; <see cref="Next"/> then gives the line's tokens and DirectiveEnd). Returns false at the
    /// limit (<see cref="Position"/> == limit: the limit is code) or past it (it was inside a comment or literal),
    /// or at the end. The scanner uses it to tokenize only the statements around the names it looks for.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // vector code: ReadyToRun leaves it to the JIT
    public bool SkimTo(int limit, out CToken directive)
    {
        directive = default;
        limit = Math.Min(limit, _s.Length);
        while (_pos < limit)
        {
            var end = NextSkimStop(limit);
            _pos = end;
            if (end == limit)
            {
                break;
            }
            var c = _s[_pos];
            if (c == '/')
            {
                if (Peek(1) == '*') SkipBlockComment();
                else if (Peek(1) == '/') SkipLineComment();
                else _pos++;
            }
            else if (c is (byte)'"' or (byte)'\'')
            {
                SkipLiteral(c);
            }
            else if (IsLineStart(_pos))
            {
                directive = new CToken(CTokenKind.Directive, _pos, 1, _line);
                _pos++;
                _inDirective = true;
                _atLineStart = false;
                return true;
            }
            else
            {
                _pos++;
            }
        }
        _atLineStart = _pos == 0 || IsLineStart(_pos);
        return false;
    }

    // The first '/', quote or '#' in [_pos, limit), or limit, with the newlines before it counted. 64 bytes at a time:
    // a mask of the stops and one of the newlines, where the search and count it replaced were two calls per stop
    // (IndexOfAny and Count; C code has a stop every few dozen bytes).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int NextSkimStop(int limit)
    {
        var i = _pos;
        if (Vector256.IsHardwareAccelerated)
        {
            ref var start = ref MemoryMarshal.GetReference(_s);
            for (; i + 64 <= _s.Length && i < limit; i += 64)
            {
                var (stops, newlines) = SkimMasks(ref Unsafe.Add(ref start, i));
                if (limit - i < 64)
                {
                    var inside = (1UL << (limit - i)) - 1;
                    stops &= inside;
                    newlines &= inside;
                }
                if (stops != 0)
                {
                    var at = BitOperations.TrailingZeroCount(stops);
                    _line += BitOperations.PopCount(newlines & ((1UL << at) - 1));
                    return i + at;
                }
                _line += BitOperations.PopCount(newlines);
            }
            if (i >= limit)
            {
                return limit;
            }
        }
        for (; i < limit; i++)
        {
            var c = _s[i];
            if (c is (byte)'/' or (byte)'"' or (byte)'\'' or (byte)'#')
            {
                return i;
            }
            if (c == '\n')
            {
                _line++;
            }
        }
        return limit;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (ulong Stops, ulong Newlines) SkimMasks(ref byte at)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            var v = Vector512.LoadUnsafe(ref at);
            var stops = Vector512.Equals(v, Vector512.Create((byte)'/')) | Vector512.Equals(v, Vector512.Create((byte)'"'))
                | Vector512.Equals(v, Vector512.Create((byte)'\'')) | Vector512.Equals(v, Vector512.Create((byte)'#'));
            return (stops.ExtractMostSignificantBits(), Vector512.Equals(v, Vector512.Create((byte)'\n')).ExtractMostSignificantBits());
        }
        var lo = Vector256.LoadUnsafe(ref at);
        var hi = Vector256.LoadUnsafe(ref at, 32);
        return (Mask(Stops(lo), Stops(hi)), Mask(Vector256.Equals(lo, Vector256.Create((byte)'\n')), Vector256.Equals(hi, Vector256.Create((byte)'\n'))));

        static Vector256<byte> Stops(Vector256<byte> v) =>
            Vector256.Equals(v, Vector256.Create((byte)'/')) | Vector256.Equals(v, Vector256.Create((byte)'"'))
            | Vector256.Equals(v, Vector256.Create((byte)'\'')) | Vector256.Equals(v, Vector256.Create((byte)'#'));

        static ulong Mask(Vector256<byte> lo, Vector256<byte> hi) => lo.ExtractMostSignificantBits() | (ulong)hi.ExtractMostSignificantBits() << 32;
    }

    /// <summary>In a directive: leaves the rest of its line unread (the caller saw it is a single plain line);
    /// the next <see cref="Next"/> or <see cref="SkimTo"/> continues after it.</summary>
    public void SkipDirectiveLine(int lineEnd)
    {
        _line += _s[_pos..lineEnd].Count((byte)'\n'); // continuations and comments inside it
        _pos = lineEnd;
        _inDirective = false;
    }

    // Only blanks between the previous newline (not a continuation) and at: a '#' there opens a directive.
    // Next also takes '#' after a comment on the same line as one; the skim does not (the scans of Debian's 6.1 and
    // 6.12 trees come out the same either way).
    private readonly bool IsLineStart(int at)
    {
        var i = at - 1;
        while (i >= 0 && _s[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\f' or (byte)'\v')
        {
            i--;
        }
        if (i < 0)
        {
            return true;
        }
        if (_s[i] != '\n')
        {
            return false;
        }
        var before = i - 1;
        if (before >= 0 && _s[before] == '\r') before--;
        return before < 0 || _s[before] != '\\';
    }

    private readonly byte Peek(int ahead) => _pos + ahead < _s.Length ? _s[_pos + ahead] : (byte)0;

    private readonly bool IsContinuation(int at) =>
        at + 1 < _s.Length && (_s[at + 1] == '\n' || _s[at + 1] == '\r' && at + 2 < _s.Length && _s[at + 2] == '\n');

    private void SkipContinuations()
    {
        while (_pos < _s.Length && _s[_pos] == '\\' && IsContinuation(_pos))
        {
            _pos += _s[_pos + 1] == '\r' ? 3 : 2;
            _line++;
        }
    }

    // To just after the "*/" that closes the comment opened at _pos, the newlines in it counted: 64 bytes at a time,
    // a mask of each "*/" and one of the newlines (a search for the end and then a count were two passes, and most
    // comments are shorter than the substring search's vector step, so that was its scalar tail).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SkipBlockComment()
    {
        var line = _line;
        var i = _pos + 2;
        if (Vector256.IsHardwareAccelerated)
        {
            ref var start = ref MemoryMarshal.GetReference(_s);
            for (; i + 65 <= _s.Length; i += 64)
            {
                ref var block = ref Unsafe.Add(ref start, i);
                var closes = ByteMask.Equal(ref block, (byte)'*') & ByteMask.Equal(ref Unsafe.Add(ref block, 1), (byte)'/');
                var newlines = ByteMask.Equal(ref block, (byte)'\n');
                if (closes != 0)
                {
                    var at = BitOperations.TrailingZeroCount(closes);
                    _line += BitOperations.PopCount(newlines & ((1UL << at) - 1));
                    _pos = i + at + 2;
                    return;
                }
                _line += BitOperations.PopCount(newlines);
            }
        }
        for (; i + 1 < _s.Length; i++)
        {
            if (_s[i] == '*' && _s[i + 1] == '/')
            {
                _pos = i + 2;
                return;
            }
            if (_s[i] == '\n') _line++;
        }
        if (i < _s.Length && _s[i] == '\n') _line++;
        _pos = _s.Length;
        Problem ??= (line, "unterminated comment");
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SkipLineComment()
    {
        while (_pos < _s.Length)
        {
            var stop = _s[_pos..].IndexOfAny((byte)'\n', (byte)'\\');
            if (stop < 0)
            {
                _pos = _s.Length;
                return;
            }
            _pos += stop;
            if (_s[_pos] == '\n')
            {
                return;
            }
            if (IsContinuation(_pos))
            {
                SkipContinuations(); // a // comment ending in a backslash continues on the next line
                continue;
            }
            _pos++;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SkipLiteral(byte quote)
    {
        var line = _line;
        _pos++;
        while (_pos < _s.Length)
        {
            // The next quote, backslash or newline: 64 bytes at a time while they last (a literal is a few dozen bytes).
            if (Vector256.IsHardwareAccelerated && _pos + 64 <= _s.Length)
            {
                ref var block = ref Unsafe.Add(ref MemoryMarshal.GetReference(_s), _pos);
                var stops = ByteMask.Equal(ref block, quote) | ByteMask.Equal(ref block, (byte)'\\') | ByteMask.Equal(ref block, (byte)'\n');
                if (stops == 0)
                {
                    _pos += 64;
                    continue;
                }
                _pos += BitOperations.TrailingZeroCount(stops);
            }
            var c = _s[_pos];
            if (c == '\\')
            {
                if (IsContinuation(_pos))
                {
                    SkipContinuations();
                    continue;
                }
                // An escape. C splices backslash-newlines before it reads escapes, so the escaped character is the
                // one after any that follow: two backslashes and a newline inside a literal continue it (the csource
                // fuzz target's sweep-against-extractor check found one). A backslash at the very end escapes nothing.
                _pos++;
                SkipContinuations();
                if (_pos < _s.Length && _s[_pos] != '\n')
                {
                    _pos++;
                }
                continue;
            }
            if (c == quote)
            {
                _pos++;
                return;
            }
            if (c == '\n')
            {
                // Unterminated on its line: C does not allow that; stop here so one stray quote
                // (common in .S files and #error text) does not swallow the rest of the file.
                return;
            }
            _pos++;
        }
        Problem ??= (line, quote == '"' ? "unterminated string" : "unterminated character literal");
    }

    private static readonly System.Buffers.SearchValues<byte> Blanks = System.Buffers.SearchValues.Create(" \t\r\f\v"u8);

    // Each byte's classes (1: starts an identifier, 2: continues one), one table load instead of a chain of range
    // tests. With the inline continuation check in Next: tokenizing all of linux-source-6.1 in memory, one thread,
    // 4 alternating rounds, 2.98-3.87 s against 3.64-4.80 s, the same tokens. (Plain loops for identifier and blank runs
    // instead of IndexOfAnyExcept measured slower: 4.6 against 3.4 s.)
    private static ReadOnlySpan<byte> Classes => [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, // $ 0-9
        0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 3, // A-Z _
        0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 0, // a-z
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];

    // The same set for the vector search over identifier runs, made from the table so the two cannot differ.
    internal static readonly System.Buffers.SearchValues<byte> IdentChars = System.Buffers.SearchValues.Create(IdentPartBytes());

    private static byte[] IdentPartBytes()
    {
        var bytes = new List<byte>();
        for (var c = 0; c < 256; c++)
        {
            if ((Classes[c] & 2) != 0) bytes.Add((byte)c);
        }
        return [.. bytes];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool IsIdentStart(byte c) => (Classes[c] & 1) != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool IsIdentPart(byte c) => (Classes[c] & 2) != 0;
}
