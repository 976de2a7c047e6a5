using System.Runtime.CompilerServices;
using System.Text;
using ExportAudit.Model;

namespace ExportAudit.Ingest.Source;

/// <summary>A C function definition: where it is, whether it is static, what it calls, how many statements.</summary>
public sealed record SourceFunction(string Name, string File, int Line, int EndLine, bool IsStatic, IReadOnlyList<string> Calls, int Statements)
{
    /// <summary>The call-graph node the laundering check walks.</summary>
    public FunctionInfo ToFunctionInfo(bool exported) => new(Name, new Site(File, Line), Calls, exported) { Statements = Statements };
}

/// <summary>
/// Finds the function definitions of a C file and the identifiers each one calls, from the tokenizer's tokens:
/// a '{' at file scope after `NAME ( ... )` (and any trailing attribute macros such as __acquires(x)) opens a
/// function; `IDENT (` inside its body is a call. Brace depth across #if/#else is kept as ctags does: an #else
/// branch starts at the depth its #if started at, so two alternative function headers do not unbalance the file.
/// Not a C parser: calls through function pointers (a struct's `ops->open(f)` included) and macros that hide a call are not seen.
/// </summary>
public static class FunctionExtractor
{
    private static readonly HashSet<string> NotCalls = new(StringComparer.Ordinal)
    {
        "if", "for", "while", "switch", "return", "sizeof", "typeof", "__typeof__", "__typeof", "_Alignof", "alignof", "__alignof__",
        "defined", "__attribute__", "__attribute", "asm", "__asm__", "__asm", "volatile", "__volatile__", "do", "case", "_Static_assert",
        "static_assert", "__builtin_expect", "likely", "unlikely", "__must_check", "_Generic", "offsetof", "ARRAY_SIZE", "BUILD_BUG_ON",
        "WARN_ON", "WARN_ON_ONCE", "BUG_ON", "READ_ONCE", "WRITE_ONCE", "IS_ERR", "PTR_ERR", "ERR_PTR", "IS_ERR_OR_NULL", "IS_ENABLED",
        "container_of", "min", "max", "min_t", "max_t", "clamp", "unreachable",
    };

    // Matched on a token's bytes; its bit filter turns most names away unhashed.
    private static readonly Utf8NameSet NotCallBytes = new(NotCalls);

    private static readonly HashSet<string> NotFunctionNames = new(StringComparer.Ordinal)
    {
        "if", "for", "while", "switch", "sizeof", "typeof", "__attribute__", "__attribute", "asm", "__asm__", "defined", "return",
    };

    private static readonly Utf8NameSet NotFunctionNameBytes = new(NotFunctionNames);

    public static IReadOnlyList<SourceFunction> Extract(string file, ReadOnlySpan<byte> data) => Extract(file, data, null, null);

    /// <param name="watch">Names whose uses are collected into <paramref name="used"/>: inside braces (calls, function
    /// pointers in initializers), in #define bodies (a header macro that expands to the name), anywhere in
    /// assembly (<paramref name="assembly"/>: a .S file has no braces), and as operands in file-scope parentheses and
    /// initializers (<see cref="IsFileScopeUse"/>).</param>
    /// <param name="withCalls">False: the functions' names, lines and statement counts only, no call lists (a tree's files
    /// that export nothing: the laundering check never starts there, and interning their calls was most of the work).</param>
    /// <param name="names">Where names are interned: the calling worker's own table; null, the process-wide pool.</param>
    /// <param name="usedHashes">Every use, whatever the name, by <see cref="NameHashSet.Hash(ReadOnlySpan{byte})"/> (as <see cref="UseSweep"/> gives them).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static IReadOnlyList<SourceFunction> Extract(string file, ReadOnlySpan<byte> data, Utf8NameSet? watch, HashSet<string>? used, bool assembly = false,
        bool withCalls = true, Utf8NameTable? names = null, NameHashSet? usedHashes = null)
    {
        var functions = new List<SourceFunction>();
        var tokenizer = new CTokenizer(data);
        var declaration = new List<CToken>(); // file-scope tokens since the last ; or } (strings only for the function's name)
        var depth = 0;
        var parens = 0;          // file scope: open parentheses, and an initializer's '=' since the last ';', '{' or '}'
        var initializer = false;
        var outerOpen = -1;      // where the outermost of them opened
        var branches = new BranchDepth();
        var inDirective = false;
        var directive = Directive.None;
        var directiveTokens = 0;

        string? current = null;
        var currentLine = 0;
        var currentStatic = false;
        var calls = new List<string>();
        // A worker's table gives one string a name: the calls already listed are told apart by reference.
        var seenCalls = names is null ? new HashSet<string>(StringComparer.Ordinal) : new HashSet<string>(ReferenceEqualityComparer.Instance);
        var statements = 0;
        CToken? previous = null;

        while (tokenizer.Next(out var token))
        {
            if (token.Kind == CTokenKind.Directive)
            {
                inDirective = true;
                directive = Directive.None;
                directiveTokens = 0;
                continue;
            }
            if (token.Kind == CTokenKind.DirectiveEnd)
            {
                inDirective = false;
                switch (directive)
                {
                    case Directive.If: branches.If(depth); break;
                    case Directive.Else: branches.Else(ref depth); break;
                    case Directive.Endif: branches.Endif(ref depth); break;
                }
                continue;
            }
            if (inDirective)
            {
                if (directiveTokens++ == 0) directive = KindOf(token.Text(data));
                else if (directiveTokens > 2 && directive == Directive.Define && token.Kind == CTokenKind.Identifier) Watch(data, token, watch, used, usedHashes);
                continue;
            }
            var isPunct = token.Kind == CTokenKind.Punct;
            var ch = isPunct ? data[token.Start] : (byte)0;
            if (token.Kind == CTokenKind.Identifier && (depth > 0 || assembly || (parens > 0 || initializer) && IsFileScopeUse(data, token.Start, token.Start + token.Length, outerOpen)))
            {
                Watch(data, token, watch, used, usedHashes);
            }

            if (depth == 0)
            {
                if (ch == '(' && parens++ == 0) outerOpen = token.Start;
                else if (ch == ')' && parens > 0) parens--;
                else if (ch == '=' && parens == 0) initializer = true;
                else if (ch is (byte)'{' or (byte)';' or (byte)'}') initializer = false;
                if (ch == '{')
                {
                    current = FunctionName(data, declaration, out currentStatic, out currentLine, names);
                    calls = [];
                    seenCalls.Clear();
                    statements = 0;
                    declaration.Clear();
                    depth = 1;
                }
                else if (ch is (byte)';' or (byte)'}')
                {
                    declaration.Clear();
                }
                else if (declaration.Count < 512)
                {
                    declaration.Add(token);
                }
            }
            else
            {
                if (ch == '{') depth++;
                else if (ch == '}')
                {
                    if (--depth == 0 && current is not null)
                    {
                        functions.Add(new SourceFunction(current, file, currentLine, token.Line, currentStatic, calls, statements));
                        current = null;
                    }
                    if (depth < 0) depth = 0;
                }
                else if (ch == ';') statements++;
                else if (ch == '(' && withCalls && current is not null && previous is { Kind: CTokenKind.Identifier } p && !NotCall(data, p) && !IsMember(data, p.Start))
                {
                    var callee = Name(data, p, names);
                    if (seenCalls.Add(callee) && !(callee.Length != p.Length && NotCalls.Contains(callee))) // joined across a continuation: looked up again
                    {
                        calls.Add(callee);
                    }
                }
            }
            previous = token;
        }
        return functions;
    }

    // At file scope, in parentheses or an initializer: whether the identifier data[at..end] is a use — an operand such as
    // the callbacks of `SIMPLE_DEV_PM_OPS(ops, foo_suspend, foo_resume)`, `= &param_ops_int`, `TP_printk(…, foo_str(x))`.
    // Not one: a name after a type or keyword (a prototype's parameter `struct foo *name`, `enum foo e`, a wrapped
    // prototype's name), after '*' (the declarator `(*hook)(void)`) or a member access, nor the lone first argument of
    // the outermost parentheses (`outerOpen`: where they open), the name a macro defines or declares
    // (`TRACE_EVENT(foo, …)`, `DECLARE_STATIC_KEY_FALSE(foo)`, that `ops`). The sweep asks the same, byte for byte.
    internal static bool IsFileScopeUse(ReadOnlySpan<byte> data, int at, int end, int outerOpen)
    {
        var i = at - 1;
        while (i >= 0 && IsBlank(data[i])) i--;
        if (i < 0) return true;
        var c = data[i];
        if (CTokenizer.IsIdentPart(c) || c is (byte)'*' or (byte)'.' || c == '>' && i > 0 && data[i - 1] == '-') return false;
        if (i != outerOpen) return true;
        while (end < data.Length && IsBlank(data[end])) end++;
        return end < data.Length && data[end] is not ((byte)',' or (byte)')');

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static bool IsBlank(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\f' or (byte)'\v' or (byte)'\\';
    }

    // Whether the identifier at `at` is a member, `.name` or `->name`: `ops->open(f)` calls through a pointer, not the
    // function named open. Blanks may stand between; `x-- > f(y)` is a comparison (an even run of '-' before '>').
    private static bool IsMember(ReadOnlySpan<byte> data, int at)
    {
        var i = at - 1;
        while (i >= 0 && data[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r') i--;
        if (i < 0) return false;
        if (data[i] == '.') return true;
        if (data[i] != '>') return false;
        var dashes = 0;
        for (var k = i - 1; k >= 0 && data[k] == '-'; k--) dashes++;
        return dashes % 2 == 1;
    }

    // The name before the last parenthesised parameter list of a file-scope declaration, skipping trailing
    // attribute macros: "static int __init foo(void) __acquires(x)" → foo. Null for struct bodies and initializers.
    internal static string? FunctionName(ReadOnlySpan<byte> data, List<CToken> declaration, out bool isStatic, out int line, Utf8NameTable? names = null)
    {
        var at = FunctionNameToken(data, declaration, out isStatic);
        line = at < 0 ? 0 : declaration[at].Line;
        return at < 0 ? null : Name(data, declaration[at], names);
    }

    // Where FunctionName's name is in the declaration (-1: not a function), before any string is made for it: the
    // call graph's sweep wants the names of non-static functions only.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int FunctionNameToken(ReadOnlySpan<byte> data, List<CToken> declaration, out bool isStatic)
    {
        isStatic = false;
        var end = declaration.Count - 1;
        while (end >= 0)
        {
            if (!Is(data, declaration[end], ")"u8))
            {
                // A trailing bare attribute identifier (__init after the list, rare) is skipped; anything else is not a function.
                if (declaration[end].Kind == CTokenKind.Identifier && declaration[end].Text(data).StartsWith("__"u8))
                {
                    end--;
                    continue;
                }
                return -1;
            }
            var open = MatchingOpen(data, declaration, end);
            if (open <= 0 || declaration[open - 1].Kind != CTokenKind.Identifier)
            {
                return -1;
            }
            var nameToken = declaration[open - 1];
            var nameBytes = nameToken.Text(data);
            // An attribute macro after the parameter list: keep walking back to the real parameter list.
            if (open - 2 >= 0 && Is(data, declaration[open - 2], ")"u8) && (nameBytes.StartsWith("__"u8) || IsUpperCase(nameBytes)))
            {
                end = open - 2;
                continue;
            }
            if (nameBytes.IndexOf((byte)'\\') < 0 ? NotFunctionNameBytes.TryGetValue(nameBytes, out _) : NotFunctionNames.Contains(Text(data, nameToken)))
            {
                return -1;
            }
            for (var k = 0; k < open - 1; k++)
            {
                var t = declaration[k];
                if (Is(data, t, "="u8) || Is(data, t, "struct"u8) && k == open - 2) return -1; // an initializer, not a definition
                if (Is(data, t, "static"u8)) isStatic = true;
            }
            return open - 1;
        }
        return -1;
    }

    private static bool Is(ReadOnlySpan<byte> data, CToken token, ReadOnlySpan<byte> text) => token.Text(data).SequenceEqual(text);

    private static bool IsUpperCase(ReadOnlySpan<byte> name)
    {
        foreach (var c in name)
        {
            if (!(c is >= (byte)'A' and <= (byte)'Z' or (byte)'_' or >= (byte)'0' and <= (byte)'9')) return false;
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int MatchingOpen(ReadOnlySpan<byte> data, List<CToken> tokens, int close)
    {
        var depth = 0;
        for (var k = close; k >= 0; k--)
        {
            if (Is(data, tokens[k], ")"u8)) depth++;
            else if (Is(data, tokens[k], "("u8) && --depth == 0) return k;
        }
        return -1;
    }

    // NotCalls, matched on the bytes before any string is made.
    private static bool NotCall(ReadOnlySpan<byte> data, CToken token) => NotCallBytes.TryGetValue(token.Text(data), out _);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Watch(ReadOnlySpan<byte> data, CToken token, Utf8NameSet? watch, HashSet<string>? used, NameHashSet? usedHashes)
    {
        if (watch is not null && watch.TryGetValue(token.Text(data), out var name))
        {
            used!.Add(name);
        }
        if (usedHashes is not null && token.Text(data) is var bytes && bytes.IndexOf((byte)'\\') < 0) // split by a continuation: no name matches its bytes
        {
            usedHashes.Add(bytes);
        }
    }

    // The directives that move the brace depth or hold uses; the call graph's sweep reads them the same way.
    internal enum Directive : byte { None, If, Else, Endif, Define }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static Directive KindOf(ReadOnlySpan<byte> keyword) =>
        keyword.SequenceEqual("if"u8) || keyword.SequenceEqual("ifdef"u8) || keyword.SequenceEqual("ifndef"u8) ? Directive.If
        : keyword.SequenceEqual("else"u8) || keyword.SequenceEqual("elif"u8) || keyword.SequenceEqual("elifdef"u8) || keyword.SequenceEqual("elifndef"u8) ? Directive.Else
        : keyword.SequenceEqual("endif"u8) ? Directive.Endif
        : keyword.SequenceEqual("define"u8) ? Directive.Define
        : Directive.None;

    // An interned identifier: a tree's call lists name the same few hundred thousand functions again and again.
    internal static string Name(ReadOnlySpan<byte> data, CToken token, Utf8NameTable? names)
    {
        var bytes = token.Text(data);
        if (bytes.IndexOf((byte)'\\') < 0) return names?.Get(bytes) ?? Elf.SymbolNames.Get(bytes);
        var joined = Text(data, token);
        return names?.Get(Encoding.ASCII.GetBytes(joined)) ?? joined;
    }

    private static string Text(ReadOnlySpan<byte> data, CToken token)
    {
        var text = Encoding.UTF8.GetString(token.Text(data));
        return text.Contains('\\') ? text.Replace("\\\r\n", "").Replace("\\\n", "") : text;
    }
}
