using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.InteropServices;

namespace ExportAudit.Ingest.Source;

/// <summary>
/// What the call graph needs from a file where no laundering walk starts: the identifiers it uses — by
/// <see cref="FunctionExtractor"/>'s definition: inside braces, in a #define body, anywhere in a .S file, an operand
/// in file-scope parentheses or an initializer (<see cref="FunctionExtractor.IsFileScopeUse"/>) — as 64-bit
/// hashes, and (a .c file) the names of the non-static functions it defines. The scan runs it on each file's bytes
/// while they are read, before the tree's exports are known: hence hashes, matched against the export names after.
/// It makes no tokens: 64 bytes at a time it finds where identifiers start and where the bytes that may change its
/// state are (comment and literal openers, backslash, braces, '#'; a newline only in a directive, ';', '(', ')' and
/// '=' only at file scope), and looks only there; the tokens before a file-scope '{' are made by the tokenizer, so a function's name
/// is found by the extractor's own code. The same uses and functions as the extractor on every file of
/// linux-source-6.1 and 6.12 (a real-data test and a differential fuzz target hold it to that); that tree in
/// memory, one thread: 2.5-3.4 s, the extractor 4.5-6.2 s.
/// </summary>
public static class UseSweep
{
    /// <summary>Sweeps <paramref name="data"/>; the uses go into <paramref name="uses"/>, the global function names into <paramref name="globals"/> (null: not a .c file).</summary>
    public static void Run(ReadOnlySpan<byte> data, bool assembly, NameHashSet uses, List<string>? globals, Utf8NameTable? names = null) =>
        new Sweep(data, assembly, uses, globals, names).Run(Vector256.IsHardwareAccelerated);

    /// <summary>The same sweep with the byte classes found one byte at a time (hardware without 256-bit vectors; tests).</summary>
    internal static void RunScalar(ReadOnlySpan<byte> data, bool assembly, NameHashSet uses, List<string>? globals, Utf8NameTable? names = null) =>
        new Sweep(data, assembly, uses, globals, names).Run(vectors: false);

    // A thread's lists for the file-scope spans and tokens, kept from file to file (made per file, their growth was a
    // third of what --calls allocated on linux-source-6.1).
    [ThreadStatic] private static List<(int Start, int End)>? t_segments;
    [ThreadStatic] private static List<CToken>? t_tokens;

    private ref struct Sweep
    {
        private readonly ReadOnlySpan<byte> _s;
        private readonly bool _assembly;
        private readonly NameHashSet _uses;
        private readonly List<string>? _globals;
        private readonly Utf8NameTable? _names;
        private int _depth;
        // File scope: open parentheses (a macro's arguments, a parameter list) and whether an initializer's '=' came
        // since the last ';', '{' or '}': the identifiers there are uses.
        private int _parens;
        private int _outerOpen = -1;
        private bool _initializer;
        private bool _inDirective;
        private bool _defineBody;
        private FunctionExtractor.Directive _directive;
        private BranchDepth? _branches;
        // File scope of a .c file: the spans of code since the last ';', '{' or '}' there (several when an #else
        // took the depth back to 0), tokenized at the next '{' for the function's name.
        private List<(int Start, int End)>? _segments;
        private int _segmentOpen;
        private int _commentEnd;          // the last block comment's end and whether it began at a line's start
        private bool _commentAtLineStart;
        private string? _current;

        public Sweep(ReadOnlySpan<byte> data, bool assembly, NameHashSet uses, List<string>? globals, Utf8NameTable? names)
        {
            _s = data;
            _assembly = assembly;
            _uses = uses;
            _globals = globals;
            _names = names;
            if (globals is not null)
            {
                _segments = t_segments ??= [];
                _segments.Clear();
            }
            _segmentOpen = 0;
            _commentEnd = -1;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run(bool vectors)
        {
            var s = _s;
            var n = s.Length;
            var pos = 0;
            Span<byte> tail = stackalloc byte[64];
            while (pos < n)
            {
                // The classes of the 64 bytes from pos: identifier characters, state-changing bytes, ';', newlines.
                Masks masks;
                var block = pos;
                if (n - block >= 64)
                {
                    masks = Classify(s.Slice(block, 64), vectors);
                }
                else
                {
                    tail.Fill((byte)' ');
                    s[block..].CopyTo(tail);
                    masks = Classify(tail, vectors);
                }
                var carry = block > 0 && CTokenizer.IsIdentPart(s[block - 1]) ? 1UL : 0UL;
                var runStarts = masks.Ident & ~(masks.Ident << 1 | carry);
                while (true)
                {
                    var wanted = masks.Special | (WantIdentifiers ? runStarts : 0) | (WantSemicolons ? masks.Semi : 0) | (_inDirective ? masks.Newline : 0)
                        | (!_inDirective && _depth == 0 ? masks.Scope : 0);
                    wanted &= pos - block >= 64 ? 0 : ~0UL << (pos - block);
                    var fileScope = AtFileScope;
                    // Identifiers and numbers inside the block change no state: taken here, without a call, until a byte that may.
                    while (wanted != 0 && (runStarts >> BitOperations.TrailingZeroCount(wanted) & 1) != 0)
                    {
                        var bit = BitOperations.TrailingZeroCount(wanted);
                        var at = block + bit;
                        var length = BitOperations.TrailingZeroCount(~(masks.Ident >> bit));
                        var end = at + length;
                        if (bit + length >= 64 || end < n && s[end] == '\\')
                        {
                            break; // may go on past the block or through a continuation: Event reads it
                        }
                        if ((uint)(s[at] - '0') > 9)
                        {
                            if (!fileScope || FunctionExtractor.IsFileScopeUse(s, at, end, _outerOpen)) _uses.AddHash(NameHashSet.Hash(s, at, length));
                        }
                        else if (end < n && s[end] is (byte)'.' or (byte)'+' or (byte)'-')
                        {
                            end = SkipNumber(s, end - 1);
                        }
                        pos = end;
                        wanted &= end - block >= 64 ? 0 : ~0UL << (end - block);
                    }
                    if (wanted == 0)
                    {
                        pos = Math.Max(pos, block + 64);
                        break;
                    }
                    var next = block + BitOperations.TrailingZeroCount(wanted);
                    if (next >= n)
                    {
                        pos = n;
                        break;
                    }
                    pos = Event(next);
                    if (pos >= block + 64)
                    {
                        break;
                    }
                }
            }
            if (_inDirective)
            {
                EndDirective(n);
            }
        }

        private readonly bool WantIdentifiers => _inDirective ? _defineBody : _depth > 0 || _assembly || _parens > 0 || _initializer;

        // Outside braces, directives and assembly: in parentheses or an initializer there, not every identifier is a use.
        private readonly bool AtFileScope => _depth == 0 && !_inDirective && !_assembly;

        private readonly bool WantSemicolons => !_inDirective && _depth == 0 && (_segments is not null || _initializer);

        // Handles what starts at `at`; returns where the sweep goes on.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private int Event(int at)
        {
            var s = _s;
            var c = s[at];
            if (CTokenizer.IsIdentPart(c))
            {
                if (c is >= (byte)'0' and <= (byte)'9')
                {
                    return SkipNumber(s, at);
                }
                var end = IdentifierEnd(s, at, out var matchable);
                if (matchable && (!AtFileScope || FunctionExtractor.IsFileScopeUse(s, at, end, _outerOpen))) _uses.Add(s[at..end]);
                return end;
            }
            switch (c)
            {
                case (byte)'\n': // only in a directive: its end
                    EndDirective(at + 1);
                    return at + 1;
                case (byte)'\\':
                    return IsContinuation(s, at) ? SkipContinuations(s, at) : at + 1;
                case (byte)'/':
                    if (at + 1 < s.Length && s[at + 1] == '*')
                    {
                        var close = s[(at + 2)..].IndexOf("*/"u8);
                        var startsLine = AtLineStart(at);
                        _commentEnd = close < 0 ? s.Length : at + 2 + close + 2;
                        _commentAtLineStart = startsLine;
                        return _commentEnd;
                    }
                    return at + 1 < s.Length && s[at + 1] == '/' ? SkipLineComment(s, at) : at + 1;
                case (byte)'"' or (byte)'\'':
                    return SkipLiteral(s, at, c);
                case (byte)'#':
                    return !_inDirective && AtLineStart(at) ? StartDirective(at + 1) : at + 1;
            }
            if (_inDirective)
            {
                return at + 1;
            }
            if (_depth == 0)
            {
                if (c == '(')
                {
                    if (_parens++ == 0) _outerOpen = at;
                }
                else if (c == ')')
                {
                    if (_parens > 0) _parens--;
                }
                else if (c == '=')
                {
                    if (_parens == 0) _initializer = true;
                }
                else if (c == '{')
                {
                    _current = _segments is null || !MayBeFunction(at) || StartsStatic() ? null : GlobalFunctionName(at);
                    _segments?.Clear();
                    _initializer = false;
                    _depth = 1;
                }
                else if (c is (byte)';' or (byte)'}')
                {
                    _segments?.Clear();
                    _initializer = false;
                    _segmentOpen = at + 1;
                }
            }
            else if (c == '{')
            {
                _depth++;
            }
            else if (c == '}' && --_depth == 0)
            {
                if (_current is not null) _globals!.Add(_current);
                _current = null;
                _segmentOpen = at + 1;
            }
            return at + 1;
        }

        // What the tokenizer's line-start flag would be at `at`: nothing before it on its line but blanks, continuations
        // and block comments (a comment that began at a line's start, however many lines it spans).
        private readonly bool AtLineStart(int at)
        {
            var s = _s;
            var i = at - 1;
            while (true)
            {
                while (i >= 0 && s[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\f' or (byte)'\v') i--;
                if (i < 0) return true;
                if (s[i] == '\n')
                {
                    var before = i - 1;
                    if (before >= 0 && s[before] == '\r') before--;
                    if (before >= 0 && s[before] == '\\') { i = before - 1; continue; } // a continuation: as if not there
                    return true;
                }
                return s[i] == '/' && i + 1 == _commentEnd && _commentAtLineStart;
            }
        }

        // After '#' at a line's start: the directive's keyword and, for #define, its name, token by token as the
        // tokenizer reads them; the body's identifiers are then found by the block search.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private int StartDirective(int pos)
        {
            _inDirective = true;
            _directive = FunctionExtractor.Directive.None;
            _defineBody = false;
            pos = NextToken(pos, out var start);
            if (start < 0) return pos;
            _directive = CTokenizer.IsIdentStart(_s[start]) ? FunctionExtractor.KindOf(_s[start..pos]) : FunctionExtractor.Directive.None;
            if (_directive != FunctionExtractor.Directive.Define) return pos;
            pos = NextToken(pos, out start);
            _defineBody = start >= 0;
            return pos;
        }

        // The next token of a directive line: its start (-1 at the line's end, left for the newline event) and end.
        private readonly int NextToken(int pos, out int start)
        {
            var s = _s;
            while (pos < s.Length)
            {
                var c = s[pos];
                if (c is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\f' or (byte)'\v') { pos++; continue; }
                if (c == '\\' && IsContinuation(s, pos)) { pos = SkipContinuations(s, pos); continue; }
                if (c == '/' && pos + 1 < s.Length && s[pos + 1] == '*')
                {
                    var close = s[(pos + 2)..].IndexOf("*/"u8);
                    pos = close < 0 ? s.Length : pos + 2 + close + 2;
                    continue;
                }
                if (c == '/' && pos + 1 < s.Length && s[pos + 1] == '/') { pos = SkipLineComment(s, pos); continue; }
                if (c == '\n') break;
                start = pos;
                if (CTokenizer.IsIdentStart(c)) return IdentifierEnd(s, pos, out _);
                if (c is >= (byte)'0' and <= (byte)'9' || c == '.' && pos + 1 < s.Length && s[pos + 1] is >= (byte)'0' and <= (byte)'9') return SkipNumber(s, pos);
                if (c is (byte)'"' or (byte)'\'') return SkipLiteral(s, pos, c);
                return pos + 1;
            }
            start = -1;
            return pos;
        }

        private void EndDirective(int after)
        {
            _inDirective = false;
            var before = _depth;
            switch (_directive)
            {
                case FunctionExtractor.Directive.If: (_branches ??= new BranchDepth()).If(_depth); break;
                case FunctionExtractor.Directive.Else: (_branches ??= new BranchDepth()).Else(ref _depth); break;
                case FunctionExtractor.Directive.Endif: (_branches ??= new BranchDepth()).Endif(ref _depth); break;
            }
            if (_segments is null || before == _depth) return;
            if (before == 0) _segments.Add((_segmentOpen, after)); // file scope left: its tokens so far still count
            else if (_depth == 0) _segmentOpen = after;
        }

        // False where the extractor's FunctionName is sure to be null: the declaration's last token is not ')' nor an identifier. Known
        // from the last byte before the brace when the declaration is one short span (so under the 512-token cap)
        // with no directive and no comment (whose text could end in anything); initializers ("= {") are most of these.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private readonly bool MayBeFunction(int brace)
        {
            if (_segments!.Count > 0 || brace - _segmentOpen >= 512) return true;
            var span = _s[_segmentOpen..brace];
            var last = span.LastIndexOfAnyExcept(" \t\r\n\f\v"u8);
            if (last < 0) return false; // no token at all: FunctionName finds nothing either
            var c = span[last];
            return c is (byte)')' or (byte)'\\' || CTokenizer.IsIdentPart(c) || span.IndexOfAny((byte)'#', (byte)'/') >= 0;
        }

        // True where the declaration's first token is `static` and an identifier follows: the function, if it is one,
        // is static (its name is then not wanted), whatever the extractor's FunctionName makes of the rest. Known from
        // the bytes when the declaration is one span that starts with the word, with nothing before it but blanks. On
        // the files of linux-source-6.1 that export nothing: 272,000 of the 492,000 declarations before a file-scope
        // brace, which are then not tokenized.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private readonly bool StartsStatic()
        {
            if (_segments!.Count > 0) return false;
            var s = _s;
            var i = SkipBlanks(s, _segmentOpen);
            if (!s[i..].StartsWith("static"u8)) return false;
            i += "static".Length;
            if (i >= s.Length || CTokenizer.IsIdentPart(s[i])) return false; // a longer name
            i = SkipBlanks(s, i);
            return i < s.Length && CTokenizer.IsIdentStart(s[i]); // not '(', a comment, a directive or a continuation (which may join the word to more)

            static int SkipBlanks(ReadOnlySpan<byte> s, int i)
            {
                while (i < s.Length && s[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\f' or (byte)'\v') i++;
                return i;
            }
        }

        // The extractor's declaration: the file-scope tokens since the last ';', '{' or '}', directives left out, at most 512.
        // The name of the non-static function this brace opens, or null (a static one's name is not made).
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private string? GlobalFunctionName(int brace)
        {
            var tokens = t_tokens ??= [];
            tokens.Clear();
            foreach (var (start, end) in _segments!)
            {
                Tokens(start, end, tokens);
            }
            Tokens(_segmentOpen, brace, tokens);
            var at = FunctionExtractor.FunctionNameToken(_s, tokens, out var isStatic);
            return at < 0 || isStatic ? null : FunctionExtractor.Name(_s, tokens[at], _names);
        }

        // A span starts after a ';', brace or directive line: at a line's start only after the directive (or at 0).
        private readonly void Tokens(int start, int end, List<CToken> into)
        {
            if (end <= start) return;
            var tokenizer = new CTokenizer(_s[start..end], atLineStart: start == 0 || _s[start - 1] == '\n');
            var inDirective = false;
            while (into.Count < 512 && tokenizer.Next(out var token))
            {
                if (token.Kind == CTokenKind.Directive) inDirective = true;
                else if (token.Kind == CTokenKind.DirectiveEnd) inDirective = false;
                else if (!inDirective) into.Add(token with { Start = token.Start + start });
            }
        }
    }

    private readonly record struct Masks(ulong Ident, ulong Special, ulong Semi, ulong Newline, ulong Scope);

    // Identifier characters, the bytes that change the sweep's state, ';', '\n' and (file scope's) '(', ')', '=', as bit masks of 64 bytes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Masks Classify(ReadOnlySpan<byte> block, bool vectors)
    {
        if (vectors)
        {
            ref var at = ref MemoryMarshal.GetReference(block);
            var lo = Vector256.LoadUnsafe(ref at);
            var hi = Vector256.LoadUnsafe(ref at, 32);
            return new Masks(Mask(ByteMask.IdentifierBytes(lo), ByteMask.IdentifierBytes(hi)), Mask(SpecialBytes(lo), SpecialBytes(hi)),
                Mask(Vector256.Equals(lo, Vector256.Create((byte)';')), Vector256.Equals(hi, Vector256.Create((byte)';'))),
                Mask(Vector256.Equals(lo, Vector256.Create((byte)'\n')), Vector256.Equals(hi, Vector256.Create((byte)'\n'))),
                Mask(ScopeBytes(lo), ScopeBytes(hi)));
        }
        ulong ident = 0, special = 0, semi = 0, newline = 0, scope = 0;
        for (var i = 0; i < 64; i++)
        {
            var c = block[i];
            if (CTokenizer.IsIdentPart(c)) ident |= 1UL << i;
            else if (IsSpecial(c)) special |= 1UL << i;
            else if (c == ';') semi |= 1UL << i;
            else if (c == '\n') newline |= 1UL << i;
            else if (c is (byte)'(' or (byte)')' or (byte)'=') scope |= 1UL << i;
        }
        return new Masks(ident, special, semi, newline, scope);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mask(Vector256<byte> lo, Vector256<byte> hi) => lo.ExtractMostSignificantBits() | (ulong)hi.ExtractMostSignificantBits() << 32;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> SpecialBytes(Vector256<byte> v) =>
        Vector256.Equals(v, Vector256.Create((byte)'/')) | Vector256.Equals(v, Vector256.Create((byte)'"'))
        | Vector256.Equals(v, Vector256.Create((byte)'\'')) | Vector256.Equals(v, Vector256.Create((byte)'\\')) | Vector256.Equals(v, Vector256.Create((byte)'#'))
        | Vector256.Equals(v, Vector256.Create((byte)'{')) | Vector256.Equals(v, Vector256.Create((byte)'}'));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> ScopeBytes(Vector256<byte> v) =>
        Vector256.Equals(v, Vector256.Create((byte)'(')) | Vector256.Equals(v, Vector256.Create((byte)')')) | Vector256.Equals(v, Vector256.Create((byte)'='));

    private static bool IsSpecial(byte c) => c is (byte)'/' or (byte)'"' or (byte)'\'' or (byte)'\\' or (byte)'#' or (byte)'{' or (byte)'}';

    // An identifier's end, through continuations as the tokenizer reads it; not matchable when one was inside it
    // (its bytes then hold the backslash-newline, which no name matches).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int IdentifierEnd(ReadOnlySpan<byte> s, int pos, out bool matchable)
    {
        matchable = true;
        pos++;
        while (true)
        {
            var run = s[pos..].IndexOfAnyExcept(CTokenizer.IdentChars);
            pos = run < 0 ? s.Length : pos + run;
            if (pos < s.Length && s[pos] == '\\' && IsContinuation(s, pos))
            {
                pos = SkipContinuations(s, pos);
                matchable = false;
                continue;
            }
            return pos;
        }
    }

    private static bool IsContinuation(ReadOnlySpan<byte> s, int at) =>
        at + 1 < s.Length && (s[at + 1] == '\n' || s[at + 1] == '\r' && at + 2 < s.Length && s[at + 2] == '\n');

    private static int SkipContinuations(ReadOnlySpan<byte> s, int pos)
    {
        while (pos < s.Length && s[pos] == '\\' && IsContinuation(s, pos))
        {
            pos += s[pos + 1] == '\r' ? 3 : 2;
        }
        return pos;
    }

    private static int SkipLineComment(ReadOnlySpan<byte> s, int pos)
    {
        while (pos < s.Length)
        {
            var stop = s[pos..].IndexOfAny((byte)'\n', (byte)'\\');
            if (stop < 0) return s.Length;
            pos += stop;
            if (s[pos] == '\n') return pos;
            if (IsContinuation(s, pos)) pos = SkipContinuations(s, pos);
            else pos++;
        }
        return pos;
    }

    // As CTokenizer: escapes, continuations, and an unterminated literal ends at its line's end.
    private static int SkipLiteral(ReadOnlySpan<byte> s, int pos, byte quote)
    {
        pos++;
        while (pos < s.Length)
        {
            var c = s[pos];
            if (c == '\\')
            {
                if (IsContinuation(s, pos))
                {
                    pos = SkipContinuations(s, pos);
                    continue;
                }
                pos = SkipContinuations(s, pos + 1); // an escape: the character after any backslash-newlines, as the tokenizer
                if (pos < s.Length && s[pos] != '\n') pos++;
                continue;
            }
            if (c == quote) return pos + 1;
            if (c == '\n') return pos;
            pos++;
        }
        return pos;
    }

    private static int SkipNumber(ReadOnlySpan<byte> s, int pos)
    {
        pos++;
        while (pos < s.Length && (CTokenizer.IsIdentPart(s[pos]) || s[pos] == '.' ||
               (s[pos] is (byte)'+' or (byte)'-' && s[pos - 1] is (byte)'e' or (byte)'E' or (byte)'p' or (byte)'P')))
        {
            pos++;
        }
        return pos;
    }
}

/// <summary>
/// A set of names by 64-bit hash, for one file at a time: open addressing, cleared between files without touching
/// the whole table. Two names with the same hash would count as one (the chance, for a tree's few million distinct
/// identifiers against its exports, is about 10^-8).
/// </summary>
public sealed class NameHashSet
{
    private ulong[] _slots = new ulong[1024];
    private readonly List<int> _used = [];

    public int Count => _used.Count;

    public void Add(ReadOnlySpan<byte> name) => AddHash(Hash(name));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddHash(ulong hash)
    {
        var mask = _slots.Length - 1;
        var i = (int)(hash >> 40) & mask;
        while (true)
        {
            var slot = _slots[i];
            if (slot == hash) return;
            if (slot == 0) break;
            i = (i + 1) & mask;
        }
        _slots[i] = hash;
        _used.Add(i);
        if (_used.Count * 2 > _slots.Length) Grow();
    }

    /// <summary>The hashes added since the last <see cref="Clear"/>, in no order.</summary>
    public ulong[] ToArray()
    {
        var result = new ulong[_used.Count];
        CopyTo(result);
        return result;
    }

    public void CopyTo(Span<ulong> into)
    {
        for (var k = 0; k < _used.Count; k++) into[k] = _slots[_used[k]];
    }

    public void Clear()
    {
        foreach (var i in _used) _slots[i] = 0;
        _used.Clear();
    }

    private void Grow()
    {
        var old = ToArray();
        Clear();
        _slots = new ulong[_slots.Length * 2];
        foreach (var h in old) AddHash(h);
    }

    /// <summary><see cref="Hash(ReadOnlySpan{byte})"/> of data[start..start+length], with one load when it is short.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(ReadOnlySpan<byte> data, int start, int length)
    {
        if (length >= 8 || start + 8 > data.Length)
        {
            return Hash(data.Slice(start, length));
        }
        var tail = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(data[start..]) & ((1UL << (8 * length)) - 1); // little-endian: the bytes in order
        var h = ((0x9E3779B97F4A7C15UL ^ (ulong)length) ^ tail) * 0xC4CEB9FE1A85EC53UL;
        return Finish(h);
    }

    /// <summary>A name's hash (never 0: 0 marks an empty slot). Eight bytes a step, then a final mix. Inlined: the
    /// sweep calls it for every identifier it keeps, and the precompiled call showed in profiles of --calls.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(ReadOnlySpan<byte> name)
    {
        var h = 0x9E3779B97F4A7C15UL ^ (ulong)name.Length;
        var i = 0;
        for (; i + 8 <= name.Length; i += 8)
        {
            h = (h ^ System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(name[i..])) * 0xFF51AFD7ED558CCDUL;
            h ^= h >> 32;
        }
        if (i < name.Length)
        {
            ulong tail;
            if (i > 0)
            {
                // The last eight bytes with those the steps before took shifted out: the rest's bytes in order, the value the
                // byte loop below makes, in one load (the sweep hashes 36 million identifiers of linux-source-6.1, most of
                // them longer than eight bytes: --calls 4.81 -> 4.63 s, median of 7 runs in turns, the same JSON).
                tail = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(name[^8..]) >> (8 * (8 - (name.Length - i)));
            }
            else
            {
                tail = 0;
                for (var k = name.Length - 1; k >= 0; k--) tail = tail << 8 | name[k];
            }
            h = (h ^ tail) * 0xC4CEB9FE1A85EC53UL;
        }
        return Finish(h);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Finish(ulong h)
    {
        h ^= h >> 33;
        h *= 0xFF51AFD7ED558CCDUL;
        h ^= h >> 33;
        return h == 0 ? 1 : h;
    }

    public static ulong Hash(string name)
    {
        Span<byte> bytes = name.Length <= 256 ? stackalloc byte[name.Length] : new byte[name.Length];
        for (var k = 0; k < name.Length; k++) bytes[k] = (byte)name[k];
        return Hash(bytes);
    }
}
