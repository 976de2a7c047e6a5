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
/// Not a C parser: calls through function pointers and macros that hide a call are not seen.
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

    private static readonly HashSet<string> NotFunctionNames = new(StringComparer.Ordinal)
    {
        "if", "for", "while", "switch", "sizeof", "typeof", "__attribute__", "__attribute", "asm", "__asm__", "defined", "return",
    };

    public static IReadOnlyList<SourceFunction> Extract(string file, ReadOnlySpan<byte> data) => Extract(file, data, null, null);

    /// <param name="watch">Names whose uses are collected into <paramref name="used"/>: inside braces (calls, function
    /// pointers in initializers), in #define bodies (a header macro that expands to the name), and anywhere in
    /// assembly (<paramref name="assembly"/>: a .S file has no braces).</param>
    public static IReadOnlyList<SourceFunction> Extract(string file, ReadOnlySpan<byte> data, HashSet<string>? watch, HashSet<string>? used, bool assembly = false)
    {
        var watchLookup = watch?.GetAlternateLookup<ReadOnlySpan<char>>();
        Span<char> chars = stackalloc char[128];
        var functions = new List<SourceFunction>();
        var tokenizer = new CTokenizer(data);
        var declaration = new List<(CToken Token, string Text)>(); // file-scope tokens since the last ; or }
        var depth = 0;
        var conditionals = new Stack<(int AtIf, int? AfterFirst)>();
        var inDirective = false;
        var directive = new List<string>();

        string? current = null;
        var currentLine = 0;
        var currentStatic = false;
        var calls = new List<string>();
        var seenCalls = new HashSet<string>(StringComparer.Ordinal);
        var statements = 0;
        CToken? previous = null;
        string? previousText = null;

        while (tokenizer.Next(out var token))
        {
            if (token.Kind == CTokenKind.Directive)
            {
                inDirective = true;
                directive.Clear();
                continue;
            }
            if (token.Kind == CTokenKind.DirectiveEnd)
            {
                inDirective = false;
                if (directive.Count > 0)
                {
                    switch (directive[0])
                    {
                        case "if" or "ifdef" or "ifndef":
                            conditionals.Push((depth, null));
                            break;
                        case "else" or "elif" or "elifdef" or "elifndef" when conditionals.Count > 0:
                            var (atIf, afterFirst) = conditionals.Pop();
                            conditionals.Push((atIf, afterFirst ?? depth));
                            depth = atIf;
                            break;
                        case "endif" when conditionals.Count > 0:
                            var c = conditionals.Pop();
                            if (c.AfterFirst is { } first) depth = first;
                            break;
                    }
                }
                continue;
            }
            if (inDirective)
            {
                if (directive.Count < 2) directive.Add(Encoding.ASCII.GetString(token.Text(data)));
                else if (directive[0] == "define" && token.Kind == CTokenKind.Identifier) Watch(data, token, watchLookup, used, chars);
                continue;
            }
            var isPunct = token.Kind == CTokenKind.Punct;
            var ch = isPunct ? data[token.Start] : (byte)0;
            // Identifier strings only where needed (declarations, calls): most tokens of a tree are in bodies.
            string? text = token.Kind == CTokenKind.Identifier && depth == 0 ? Text(data, token) : null;
            if ((depth > 0 || assembly) && token.Kind == CTokenKind.Identifier)
            {
                Watch(data, token, watchLookup, used, chars);
            }

            if (depth == 0)
            {
                if (ch == '{')
                {
                    current = FunctionName(declaration, out currentStatic, out currentLine);
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
                    declaration.Add((token, text ?? Encoding.ASCII.GetString(token.Text(data))));
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
                else if (ch == '(' && current is not null && previous is { Kind: CTokenKind.Identifier } p)
                {
                    var callee = previousText ?? Name(data, p);
                    if (!NotCalls.Contains(callee) && seenCalls.Add(callee))
                    {
                        calls.Add(callee);
                    }
                }
            }
            previous = token;
            previousText = text;
        }
        return functions;
    }

    // The name before the last parenthesised parameter list of a file-scope declaration, skipping trailing
    // attribute macros: "static int __init foo(void) __acquires(x)" → foo. Null for struct bodies and initializers.
    private static string? FunctionName(List<(CToken Token, string Text)> declaration, out bool isStatic, out int line)
    {
        isStatic = false;
        line = 0;
        var end = declaration.Count - 1;
        while (end >= 0)
        {
            if (declaration[end].Text != ")")
            {
                // A trailing bare attribute identifier (__init after the list, rare) is skipped; anything else is not a function.
                if (declaration[end].Token.Kind == CTokenKind.Identifier && declaration[end].Text.StartsWith("__", StringComparison.Ordinal))
                {
                    end--;
                    continue;
                }
                return null;
            }
            var open = MatchingOpen(declaration, end);
            if (open <= 0 || declaration[open - 1].Token.Kind != CTokenKind.Identifier)
            {
                return null;
            }
            var name = declaration[open - 1].Text;
            // An attribute macro after the parameter list: keep walking back to the real parameter list.
            if (open - 2 >= 0 && declaration[open - 2].Text == ")" && (name.StartsWith("__", StringComparison.Ordinal) || name.All(c => char.IsAsciiLetterUpper(c) || c == '_' || char.IsAsciiDigit(c))))
            {
                end = open - 2;
                continue;
            }
            if (NotFunctionNames.Contains(name))
            {
                return null;
            }
            for (var k = 0; k < open - 1; k++)
            {
                var t = declaration[k].Text;
                if (t == "=" || t == "struct" && k == open - 2) return null; // an initializer, not a definition
                if (t == "static") isStatic = true;
            }
            line = declaration[open - 1].Token.Line;
            return name;
        }
        return null;
    }

    private static int MatchingOpen(List<(CToken Token, string Text)> tokens, int close)
    {
        var depth = 0;
        for (var k = close; k >= 0; k--)
        {
            if (tokens[k].Text == ")") depth++;
            else if (tokens[k].Text == "(" && --depth == 0) return k;
        }
        return -1;
    }

    private static void Watch(ReadOnlySpan<byte> data, CToken token, HashSet<string>.AlternateLookup<ReadOnlySpan<char>>? watch, HashSet<string>? used, Span<char> chars)
    {
        if (watch is not { } lookup || token.Length > chars.Length)
        {
            return;
        }
        var bytes = token.Text(data);
        for (var i = 0; i < bytes.Length; i++) chars[i] = (char)bytes[i];
        if (lookup.TryGetValue(chars[..bytes.Length], out var name))
        {
            used!.Add(name);
        }
    }

    // An interned identifier: a tree's call lists name the same few hundred thousand functions again and again.
    private static string Name(ReadOnlySpan<byte> data, CToken token)
    {
        var bytes = token.Text(data);
        return bytes.IndexOf((byte)'\\') >= 0 ? Text(data, token) : Elf.SymbolNames.Get(bytes);
    }

    private static string Text(ReadOnlySpan<byte> data, CToken token)
    {
        var text = Encoding.UTF8.GetString(token.Text(data));
        return text.Contains('\\') ? text.Replace("\\\r\n", "").Replace("\\\n", "") : text;
    }
}
